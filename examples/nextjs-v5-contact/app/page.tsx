// The signed-in ChatBotKit contact (the middleware sends signed-out visitors to /signin).
import { redirect } from 'next/navigation'

import { auth, signOut } from '../auth'

export default async function Home() {
  const session = await auth()
  if (!session?.user) redirect('/signin')
  const { user } = session
  return (
    <main>
      <h1>Signed in</h1>
      <p>You are the ChatBotKit contact:</p>
      <dl id="user">
        <dt>id</dt>
        <dd>{user.id}</dd>
        <dt>email</dt>
        <dd>{user.email}</dd>
        <dt>name</dt>
        <dd>{user.name ?? '—'}</dd>
      </dl>
      <form
        action={async () => {
          'use server'
          await signOut({ redirectTo: '/signin' })
        }}
      >
        <button type="submit">Sign out</button>
      </form>
    </main>
  )
}
