//! A decentralized-auth NATS setup made in the test, as `nsc` would make
//! it: an operator, an account it signs, users the account signs, their
//! `.creds` files, and a nats-server configuration trusting the operator
//! with the account preloaded (the in-memory resolver).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nkeys::KeyPair;
use serde_json::{Value, json};

/// One operator and one account, written into `dir`.
pub struct Operator {
    dir: PathBuf,
    operator: KeyPair,
    account: KeyPair,
    account_jwt: String,
}

/// A signed JWT: `header.claims.signature`, each base64url without padding.
fn encode(signer: &KeyPair, subject: &str, name: &str, nats: Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let claims = json!({
        "jti": format!("{subject}-{iat}"),
        "iat": iat,
        "iss": signer.public_key(),
        "sub": subject,
        "name": name,
        "nats": nats,
    });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{header}.{payload}");
    let signature = signer.sign(signed.as_bytes()).expect("ed25519 signature");
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}

impl Operator {
    /// A fresh operator and account; files go into `dir` (created).
    pub fn new(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let operator = KeyPair::new_operator();
        let account = KeyPair::new_account();
        let account_jwt = encode(
            &operator,
            &account.public_key(),
            "games",
            json!({
                "limits": {
                    "subs": -1, "data": -1, "payload": -1, "imports": -1,
                    "exports": -1, "wildcards": true, "conn": -1, "leaf": -1
                },
                "default_permissions": { "pub": {}, "sub": {} },
                "type": "account",
                "version": 2
            }),
        );
        Operator {
            dir: dir.to_owned(),
            operator,
            account,
            account_jwt,
        }
    }

    /// The server's configuration file (pass it as `-c FILE`).
    pub fn server_config(&self) -> PathBuf {
        let operator_jwt = encode(
            &self.operator,
            &self.operator.public_key(),
            "studio",
            json!({ "type": "operator", "version": 2 }),
        );
        let operator_file = self.dir.join("operator.jwt");
        std::fs::write(&operator_file, operator_jwt).unwrap();
        let config = format!(
            "operator: \"{}\"\nresolver: MEMORY\nresolver_preload: {{\n  {}: \"{}\"\n}}\n",
            operator_file.display(),
            self.account.public_key(),
            self.account_jwt,
        );
        let path = self.dir.join("server.conf");
        std::fs::write(&path, config).unwrap();
        path
    }

    /// A `.creds` file for a new user of this operator's account.
    pub fn user_creds(&self, name: &str) -> PathBuf {
        creds_file(&self.dir, name, &self.account)
    }

    /// A `.creds` file for a user of an account the server does not know.
    pub fn stranger_creds(&self, name: &str) -> PathBuf {
        creds_file(&self.dir, name, &KeyPair::new_account())
    }
}

fn creds_file(dir: &Path, name: &str, account: &KeyPair) -> PathBuf {
    let user = KeyPair::new_user();
    let jwt = encode(
        account,
        &user.public_key(),
        name,
        json!({
            "pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1,
            "type": "user", "version": 2
        }),
    );
    let seed = user.seed().expect("the user's seed");
    let text = format!(
        "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
         ************************* IMPORTANT *************************\n\
         NKEY Seed printed below can be used to sign and prove identity.\n\
         NKEYs are sensitive and should be treated as secrets.\n\n\
         -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n\n\
         *************************************************************\n"
    );
    let path = dir.join(format!("{name}.creds"));
    std::fs::write(&path, text).unwrap();
    path
}
