// Sends the sign-in code: by SMTP when SMTP_URL is set, else to the server's console so the
// example runs with no mail setup. nodemailer is loaded only when it sends: auth.ts, and so this
// file, is also imported by code on the edge runtime (middleware), where nodemailer cannot load.
export async function sendCode({ to, code }: { to: string; code: string }) {
  if (!process.env.SMTP_URL) {
    console.log(`[example] code for ${to}: ${code}`)
    return
  }
  const { createTransport } = await import('nodemailer')
  await createTransport(process.env.SMTP_URL).sendMail({
    to,
    from: process.env.EMAIL_FROM ?? 'Sign in <no-reply@example.com>',
    subject: 'Your sign-in code',
    text: `Your verification code is: ${code}\n\nIt expires in 15 minutes.`,
  })
}
