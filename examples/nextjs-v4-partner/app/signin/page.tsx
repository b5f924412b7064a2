'use client'
// Step 1: the user's email. NextAuth asks the adapter for the user, emails a code, and the user
// goes on to /verify.
import { signIn } from 'next-auth/react'
import { useRouter, useSearchParams } from 'next/navigation'
import { type FormEvent, Suspense, useState } from 'react'

const ERRORS: Record<string, string> = {
  Verification: 'That code is wrong, used or expired. Ask for a new one.',
  default: 'Sign-in failed. Check the email address and try again.',
}

function SignInForm() {
  const router = useRouter()
  const error = useSearchParams().get('error')
  const [failed, setFailed] = useState(false)

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const email = new FormData(event.currentTarget).get('email') as string
    const result = await signIn('email', { email, redirect: false, callbackUrl: '/' })
    if (result?.ok && !result.error) router.push(`/verify?email=${encodeURIComponent(email)}`)
    else setFailed(true)
  }

  return (
    <main>
      <h1>Sign in</h1>
      {error || failed ? <p className="error" role="alert">{ERRORS[error ?? ''] ?? ERRORS.default}</p> : null}
      <form onSubmit={submit}>
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" required autoFocus />
        <button type="submit">Email me a code</button>
      </form>
    </main>
  )
}

export default function SignIn() {
  return (
    <Suspense>
      <SignInForm />
    </Suspense>
  )
}
