//! Key generation, for `gatehouse keygen`, the development key of `gatehouse serve` and the
//! tests. Behind the `keygen` feature: the Lambda functions read keys, they never make them.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

use super::SigningAlgorithm;

/// A new private key in PKCS#8 PEM: P-256 for ES256, 2048-bit RSA for RS512.
pub fn generate_private_key_pem(algorithm: SigningAlgorithm) -> String {
    let der = match algorithm {
        SigningAlgorithm::Es256 => {
            let rng = aws_lc_rs::rand::SystemRandom::new();
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .expect("P-256 key generation failed")
                .as_ref()
                .to_vec()
        }
        SigningAlgorithm::Rs512 => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .expect("RSA key generation failed");
            AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
                .expect("RSA key serialization failed")
                .as_ref()
                .to_vec()
        }
    };
    pem::encode(&pem::Pem::new("PRIVATE KEY", der))
}
