// Sends the sign-in code: by SMTP when SMTP_URL is set (nodemailer, loaded only then), else to
// the server console so the example runs with no mail setup.
export async function sendCode({ to, code }) {
  const text = `Your verification code is: ${code}\n\nIt expires in 15 minutes.`
  if (!process.env.SMTP_URL) {
    console.log(`[partner-auth] code for ${to}: ${code}`)
    return
  }
  const { createTransport } = await import('nodemailer')
  await createTransport(process.env.SMTP_URL).sendMail({
    to,
    from: process.env.EMAIL_FROM,
    subject: 'Sign in to your account',
    text,
  })
}
