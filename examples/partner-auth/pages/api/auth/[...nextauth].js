// The NextAuth API route.
import NextAuth from 'next-auth'

import nextAuthConfig from '../../../nextauth.config.js'

export default NextAuth(nextAuthConfig)
