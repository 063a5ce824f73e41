//! Reader emails over SMTP, for operators who configured a mail server.

use std::future::Future;
use std::pin::Pin;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::readers::{ReaderMail, ReaderMessage};

/// Sends reader emails through one SMTP server, given as `smtp://user:pass@host:port`
/// (plain, for a relay on the same host), `smtp://…?tls=required` (STARTTLS) or `smtps://…`.
pub struct SmtpMail {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMail {
    /// The error never repeats the URL: it may hold the server's password.
    pub fn new(smtp_url: &str, mail_from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|_| {
                "the SMTP URL is not of the form smtp://user:password@host:port \
                 (or smtps://…, or smtp://…?tls=required)"
                    .to_owned()
            })?
            .build();
        let from = mail_from
            .parse::<Mailbox>()
            .map_err(|error| format!("the sender address “{mail_from}” is not valid: {error}"))?;
        Ok(Self { transport, from })
    }
}

impl ReaderMail for SmtpMail {
    fn send<'a>(
        &'a self,
        message: ReaderMessage,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            let to = message
                .to
                .parse::<Mailbox>()
                .map_err(|error| format!("the reader's address is not valid: {error}"))?;
            let email = Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(message.subject)
                .header(ContentType::TEXT_PLAIN)
                .body(message.text)
                .map_err(|error| format!("building the email: {error}"))?;
            self.transport
                .send(email)
                .await
                .map(|_| ())
                .map_err(|error| format!("sending the email over SMTP: {error}"))
        })
    }
}
