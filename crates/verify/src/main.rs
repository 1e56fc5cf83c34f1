//! `gongkai-verify <server-url> [--key BASE64] [--state FILE]`: exit 0 when the public
//! change log verifies, 1 when it does not (naming the first wrong entry), 2 when it
//! could not be checked.

use clap::Parser;
use gongkai_verify::{verify, Failure};

#[derive(Parser)]
#[command(
    name = "gongkai-verify",
    about = "核验公开记录：逐条核对摘要与衔接、县里对链首的签名，以及（用 --state）与上次核验的是否一致"
)]
struct Args {
    /// The server, e.g. http://gongkai.example.gov.cn
    server: String,
    /// The county's public key (base64) as published elsewhere; default: the server's own.
    #[arg(long)]
    key: Option<String>,
    /// A file kept between runs: every entry verified, to catch a rewritten past.
    #[arg(long)]
    state: Option<std::path::PathBuf>,
}

fn main() {
    let args = Args::parse();
    match verify(&args.server, args.key.as_deref(), args.state.as_deref()) {
        Ok(v) => {
            println!(
                "核验通过：共 {} 条记录，链首摘要 {}，由公钥 {} 签名。",
                v.entries, v.head, v.key_id
            );
            if v.known_before > 0 {
                println!("其中前 {} 条与上次核验时完全一致。", v.known_before);
            }
            if args.key.is_none() {
                println!("注意：未用 --key 指定公钥，使用的是服务器自己给出的公钥；请核对编号 {} 与县里公布的是否一致。", v.key_id);
            }
        }
        Err(Failure::Fetch(m)) => {
            eprintln!("无法核验：{m}");
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("核验未通过：{e}");
            if let Some(n) = e.first_bad_entry() {
                eprintln!("第一条有问题的记录：第 {n} 号");
            }
            std::process::exit(1);
        }
    }
}
