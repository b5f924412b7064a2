// Step 2: the 6-character code from the email; NextAuth's email callback checks it.
export default async function Verify({ searchParams }: { searchParams: Promise<{ email?: string }> }) {
  const { email = '' } = await searchParams
  return (
    <main>
      <h1>Check your email</h1>
      <p>We sent a 6-character code to {email || 'your email address'}.</p>
      <form method="get" action="/api/auth/callback/email">
        <input type="hidden" name="email" value={email} />
        <input type="hidden" name="callbackUrl" value="/" />
        <label htmlFor="token">Code</label>
        <input id="token" name="token" required minLength={6} maxLength={6} autoComplete="one-time-code" autoFocus />
        <button type="submit">Sign in</button>
      </form>
    </main>
  )
}
