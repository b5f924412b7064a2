// Step 1: the user's email; NextAuth sends a code and redirects to /verify.
import { getCsrfToken } from 'next-auth/react'

const ERRORS = {
  Verification: 'That code is wrong, used or expired. Ask for a new one.',
  default: 'Sign-in failed. Check the email address and try again.',
}

export default function SignIn({ csrfToken, error }) {
  return (
    <main style={{ maxWidth: 420, margin: '4rem auto', fontFamily: 'system-ui' }}>
      <h1>Sign in</h1>
      {error ? <p role="alert">{ERRORS[error] ?? ERRORS.default}</p> : null}
      <form
        method="post"
        action="/api/auth/signin/email"
        onSubmit={(event) => sessionStorage.setItem('signInEmail', event.currentTarget.email.value)}
      >
        <input type="hidden" name="csrfToken" defaultValue={csrfToken} />
        <input type="hidden" name="callbackUrl" defaultValue="/" />
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" required autoFocus />
        <button type="submit">Email me a code</button>
      </form>
    </main>
  )
}

export async function getServerSideProps(context) {
  return { props: { csrfToken: (await getCsrfToken(context)) ?? null, error: context.query.error ?? null } }
}
