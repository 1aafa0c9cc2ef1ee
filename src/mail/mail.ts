export interface MailLink {
  rel: string;
  url: string;
}

export interface Mail {
  to: string;
  subject: string;
  text: string;
  /** The actionable links the mail carries, kept structured so operators (and tests) can follow them. */
  links: MailLink[];
}

export interface OutboxMessage extends Mail {
  id: string;
  created_at: number;
  sent_at: number | null;
}

/** The mail port: `send` never loses a message; `list` reads the outbox every backend keeps. */
export interface Mailer {
  send(mail: Mail): Promise<void>;
  list(filter: { to?: string; limit?: number }): Promise<OutboxMessage[]>;
}
