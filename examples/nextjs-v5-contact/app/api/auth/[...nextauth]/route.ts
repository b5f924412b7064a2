// Auth.js's API routes (/api/auth/*) as an App Router route handler.
import { handlers } from '../../../../auth'

export const { GET, POST } = handlers
