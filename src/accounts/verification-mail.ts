import type { Mail } from '../mail/mail.ts';
import type { Account } from './accounts-store.ts';
import type { SignedLinks } from './signed-links.ts';

export function verificationMail(links: SignedLinks, account: Account): Mail {
  const url = links.create({ purpose: 'verify', subject: account.id });
  return {
    to: account.email,
    subject: 'Verify your Lightbox account',
    text: `Verify your email to keep your uploads permanently and unlock more keys:\n${url}\nThe link expires in 7 days.`,
    links: [{ rel: 'verify', url }],
  };
}
