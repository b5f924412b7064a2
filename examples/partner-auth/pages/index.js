// Step 3: the signed-in ChatBotKit partner user; signed-out visitors go to /signin.
import { getServerSession } from 'next-auth/next'
import { signOut } from 'next-auth/react'

import nextAuthConfig from '../nextauth.config.js'

export default function Home({ user }) {
  return (
    <main style={{ maxWidth: 420, margin: '4rem auto', fontFamily: 'system-ui' }}>
      <h1>Signed in</h1>
      <p>You are the ChatBotKit partner user:</p>
      <dl>
        <dt>id</dt>
        <dd>{user.id}</dd>
        <dt>name</dt>
        <dd>{user.name ?? '—'}</dd>
        <dt>email</dt>
        <dd>{user.email}</dd>
      </dl>
      <button onClick={() => signOut({ callbackUrl: '/signin' })}>Sign out</button>
    </main>
  )
}

export async function getServerSideProps({ req, res }) {
  const session = await getServerSession(req, res, nextAuthConfig)
  if (!session?.user) {
    return { redirect: { destination: '/signin', permanent: false } }
  }
  const { id, name, email, image } = session.user
  return { props: { user: { id, name: name ?? null, email, image: image ?? null } } }
}
