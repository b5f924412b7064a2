// NextAuth's API routes (/api/auth/*) as an App Router route handler.
import NextAuth from 'next-auth'

import { authOptions } from '../../../../auth'

const handler = NextAuth(authOptions)

export { handler as GET, handler as POST }
