import type { ReactNode } from 'react'

export const metadata = { title: 'ChatBotKit sign-in' }

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ maxWidth: 420, margin: '4rem auto', fontFamily: 'system-ui' }}>{children}</body>
    </html>
  )
}
