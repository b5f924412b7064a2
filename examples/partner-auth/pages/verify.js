// Step 2: the 6-character code from the email; NextAuth checks it at its email callback.
import { useEffect, useState } from 'react'

export default function Verify() {
  const [email, setEmail] = useState('')
  useEffect(() => setEmail(sessionStorage.getItem('signInEmail') ?? ''), [])
  return (
    <main style={{ maxWidth: 420, margin: '4rem auto', fontFamily: 'system-ui' }}>
      <h1>Check your email</h1>
      <p>We sent a 6-character code to {email || 'your email address'}.</p>
      <form method="get" action="/api/auth/callback/email">
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <input type="hidden" name="callbackUrl" value="/" />
        <label htmlFor="token">Code</label>
        <input id="token" name="token" required minLength={6} maxLength={6} autoComplete="one-time-code" autoFocus />
        <button type="submit">Sign in</button>
      </form>
    </main>
  )
}
