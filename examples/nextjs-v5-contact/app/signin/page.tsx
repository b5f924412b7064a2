// Step 1: the user's email. Auth.js asks the adapter for the contact, emails a code, and the user
// goes on to /verify.
import { AuthError } from 'next-auth'
import { redirect } from 'next/navigation'

import { signIn } from '../../auth'

const ERRORS: Record<string, string> = {
  Verification: 'That code is wrong, used or expired. Ask for a new one.',
  default: 'Sign-in failed. Check the email address and try again.',
}

async function requestCode(form: FormData) {
  'use server'
  const email = String(form.get('email') ?? '')
  try {
    await signIn('email', { email, redirect: false, redirectTo: '/' })
  } catch (error) {
    // The API or the store failed: say so on this page (anything else is Next's to handle).
    if (error instanceof AuthError) redirect(`/signin?error=${error.type}`)
    throw error
  }
  redirect(`/verify?email=${encodeURIComponent(email)}`)
}

export default async function SignIn({ searchParams }: { searchParams: Promise<{ error?: string }> }) {
  const { error } = await searchParams
  return (
    <main>
      <h1>Sign in</h1>
      {error ? <p className="error" role="alert">{ERRORS[error] ?? ERRORS.default}</p> : null}
      <form action={requestCode}>
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" required autoFocus />
        <button type="submit">Email me a code</button>
      </form>
    </main>
  )
}
