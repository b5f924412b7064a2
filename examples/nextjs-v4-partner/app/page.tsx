// The signed-in ChatBotKit partner user; signed-out visitors go to /signin.
import { getServerSession } from 'next-auth'
import { redirect } from 'next/navigation'

import { authOptions } from '../auth'
import { SignOut } from './sign-out'

export default async function Home() {
  const session = await getServerSession(authOptions)
  if (!session?.user) redirect('/signin')
  const user = session.user as { id?: string; email?: string | null; name?: string | null }
  return (
    <main>
      <h1>Signed in</h1>
      <p>You are the ChatBotKit partner user:</p>
      <dl id="user">
        <dt>id</dt>
        <dd>{user.id}</dd>
        <dt>email</dt>
        <dd>{user.email}</dd>
        <dt>name</dt>
        <dd>{user.name ?? '—'}</dd>
      </dl>
      <SignOut />
    </main>
  )
}
