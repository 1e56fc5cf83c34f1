//! A throwaway PostgreSQL server for tests: its own data directory and port, started from
//! Debian's binaries (`postgresql`, installed by scripts/setup.sh), stopped and deleted on
//! drop. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct TestPostgres {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
    /// Serves TLS with a certificate from its own test CA (`ca.pem` in its directory).
    tls: bool,
}

fn pg_bin() -> Result<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(root)
        .context("PostgreSQL is not installed (scripts/setup.sh installs it)")?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("postgres").is_file())
        .collect();
    versions.sort();
    versions
        .pop()
        .context("no PostgreSQL binaries under /usr/lib/postgresql")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a PostgreSQL program, as `postgres` when we are root.
fn pg_command(bin: &Path, program: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(program));
        c
    } else {
        Command::new(bin.join(program))
    }
}

impl TestPostgres {
    pub fn start() -> Result<TestPostgres> {
        TestPostgres::start_with(false)
    }

    /// A server that speaks TLS (as well as plain connections), its certificate for
    /// 127.0.0.1 signed by a throwaway CA; answers the server and the CA's PEM file.
    pub fn start_tls() -> Result<(TestPostgres, PathBuf)> {
        let pg = TestPostgres::start_with(true)?;
        let ca = pg.dir.join("ca.pem");
        Ok((pg, ca))
    }

    fn start_with(tls: bool) -> Result<TestPostgres> {
        let bin = pg_bin()?;
        let dir = std::env::temp_dir().join(format!(
            "gongkai-pg-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir)?;
        if is_root() {
            let ok = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&dir)
                .status()?
                .success();
            if !ok {
                bail!("cannot hand {} to the postgres user", dir.display());
            }
        }
        let data = dir.join("data");
        let out = pg_command(&bin, "initdb")
            .args(["-D"])
            .arg(&data)
            .args([
                "-U",
                "gongkai",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ])
            .stdout(Stdio::null())
            .output()?;
        if !out.status.success() {
            bail!("initdb: {}", String::from_utf8_lossy(&out.stderr));
        }
        if tls {
            make_certificates(&dir)?;
        }
        let port = crate::webdriver::free_port()?;
        let pg = TestPostgres {
            port,
            dir,
            bin,
            tls,
        };
        pg.run()?;
        Ok(pg)
    }

    /// Starts the server (again) on its port and waits until it listens.
    fn run(&self) -> Result<()> {
        let out = pg_command(&self.bin, "pg_ctl")
            .args(["-D"])
            .arg(self.dir.join("data"))
            .args(["-l"])
            .arg(self.dir.join("log"))
            .args(["-w", "-t", "60", "-o"])
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200{}",
                self.port,
                self.dir.display(),
                if self.tls {
                    format!(
                        " -c ssl=on -c ssl_cert_file={0}/server.crt -c ssl_key_file={0}/server.key",
                        self.dir.display()
                    )
                } else {
                    String::new()
                }
            ))
            .arg("start")
            .stdout(Stdio::null())
            .output()?;
        if !out.status.success() {
            let log = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
            bail!(
                "pg_ctl start: {}\n{log}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                bail!("PostgreSQL did not listen on {}", self.port);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    /// Stops the server at once (every connection dropped), keeping its data.
    pub fn stop(&self) -> Result<()> {
        let ok = pg_command(&self.bin, "pg_ctl")
            .args(["-D"])
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?
            .success();
        if !ok {
            bail!("pg_ctl stop failed");
        }
        Ok(())
    }

    /// Starts a stopped server again, same port and data.
    pub fn start_again(&self) -> Result<()> {
        self.run()
    }

    /// `postgres://` URL of a fresh database.
    pub fn database(&self, name: &str) -> Result<String> {
        let admin = format!(
            "host=127.0.0.1 port={} user=gongkai dbname=postgres",
            self.port
        );
        let mut c = postgres::Client::connect(&admin, postgres::NoTls)?;
        c.batch_execute(&format!("CREATE DATABASE \"{name}\""))?;
        Ok(format!("postgres://gongkai@127.0.0.1:{}/{name}", self.port))
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let _ = pg_command(&self.bin, "pg_ctl")
            .args(["-D"])
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A throwaway CA and a server certificate for 127.0.0.1 signed by it, made with the
/// openssl command, in `dir` (handed to the postgres user when we are root: PostgreSQL
/// insists that its key is its own and private).
fn make_certificates(dir: &Path) -> Result<()> {
    let run = |args: &[&str]| -> Result<()> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .output()
            .context("openssl")?;
        if !out.status.success() {
            bail!("openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Gongkai test CA",
    ])?;
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ])?;
    std::fs::write(dir.join("server.ext"), "subjectAltName=IP:127.0.0.1\n")?;
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ])?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )?;
    }
    if is_root() {
        for f in ["server.key", "server.crt", "ca.pem"] {
            let ok = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.join(f))
                .status()?
                .success();
            if !ok {
                bail!("cannot hand {f} to the postgres user");
            }
        }
    }
    Ok(())
}
