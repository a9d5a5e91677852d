//! `ciba-desk profiles`: the settings file as an administrator edits it from a shell.

mod common;

use common::Env;
use serde_json::Value;

fn names(list: &Value, kind: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == kind)
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

fn entry<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "profile" && p["name"] == name)
        .unwrap_or_else(|| panic!("no profile {name} in {list:#}"))
}

#[tokio::test]
async fn list_shows_the_sandbox_and_every_preset_even_without_a_settings_file() {
    let env = Env::new();
    let r = env.run(&["profiles", "--json"]).await;
    assert_eq!(r.code, 0, "{r:?}");
    let list = r.json();
    assert_eq!(names(&list, "profile"), ["sandbox"]);
    let sandbox = entry(&list, "sandbox");
    assert_eq!(sandbox["provider"], "sandbox");
    assert_eq!(sandbox["issuer"], "http://127.0.0.1:7878");
    assert_eq!(sandbox["is_sandbox"], true);
    assert_eq!(sandbox["secret"], "not_needed");
    assert_eq!(sandbox["identity_input"][0]["kind"], "national_id");
    let presets = names(&list, "preset");
    for id in [
        "sandbox",
        "signicat_mobileid",
        "signaturgruppen_mitid_pp_demo",
        "signaturgruppen_mitid",
        "idura_se_bankid",
        "idura_no_bankid",
        "idura_frejaid",
        "authway_call_centre",
        "authway_pickup",
        "generic",
    ] {
        assert!(presets.iter().any(|p| p == id), "{id} missing: {presets:?}");
    }
    assert!(
        !env.settings_file().exists(),
        "listing never writes the settings file"
    );
    // The human form says the same.
    let r = env.run(&["profiles", "list"]).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("sandbox") && r.stdout.contains("idura_se_bankid"));
}

#[tokio::test]
async fn add_from_a_preset_and_generic_then_remove() {
    let env = Env::new();
    let r = env
        .run(&[
            "profiles",
            "add",
            "Bank SE",
            "--preset",
            "idura_se_bankid",
            "--domain",
            "mybank",
            "--client-id",
            "urn:my:client",
            "--default-call-initiator",
            "user",
            "--signed-requests",
            "true",
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("ciba-desk secret set 'Bank SE' --private-key"),
        "{r:?}"
    );
    let r = env
        .run(&[
            "profiles",
            "add",
            "corp",
            "--issuer",
            // A trailing slash typed by hand is not part of the issuer (as in the app).
            "https://idp.example.com/",
            "--client-id",
            "c1",
            "--auth-method",
            "client_secret_post",
            "--title",
            "Corporate desk",
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");

    let list = env.run(&["profiles", "list", "--json"]).await.json();
    assert_eq!(names(&list, "profile"), ["sandbox", "Bank SE", "corp"]);
    // Agents see short titles: the administrator's, or the preset's provider and method.
    assert_eq!(entry(&list, "corp")["title"], "Corporate desk");
    assert_eq!(entry(&list, "Bank SE")["title"], "Idura · Swedish BankID");
    let bank = entry(&list, "Bank SE");
    assert_eq!(bank["provider"], "idura_verify");
    assert_eq!(bank["issuer"], "https://mybank.idura.broker");
    assert_eq!(bank["client_id"], "urn:my:client");
    assert_eq!(bank["auth_method"], "private_key_jwt");
    let corp = entry(&list, "corp");
    assert_eq!(corp["provider"], "generic");
    assert_eq!(corp["issuer"], "https://idp.example.com");
    assert_eq!(corp["auth_method"], "client_secret_post");
    let expected_secret = if common::real_keyring() {
        "missing"
    } else {
        "no_keyring"
    };
    assert_eq!(corp["secret"], expected_secret, "{corp}");
    let text = std::fs::read_to_string(env.settings_file()).unwrap();
    assert!(text.contains("default_call_initiator = \"user\""), "{text}");
    assert!(text.contains("signed_requests = true"), "{text}");
    // A client secret cannot sign a request: refused, and nothing is added.
    let r = env
        .run(&[
            "profiles",
            "add",
            "corp2",
            "--issuer",
            "https://idp.example.com",
            "--client-id",
            "c1",
            "--signed-requests",
            "true",
        ])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("private_key_jwt"), "{r:?}");
    assert!(
        !std::fs::read_to_string(env.settings_file())
            .unwrap()
            .contains("corp2")
    );

    // A duplicate name is refused, --replace replaces.
    let again = [
        "profiles",
        "add",
        "corp",
        "--issuer",
        "https://idp2.example.com",
        "--client-id",
        "c2",
    ];
    let r = env.run(&again).await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("already exists"), "{r:?}");
    let mut replace = again.to_vec();
    replace.push("--replace");
    assert_eq!(env.run(&replace).await.code, 0);
    let list = env.run(&["profiles", "--json"]).await.json();
    assert_eq!(entry(&list, "corp")["issuer"], "https://idp2.example.com");

    let r = env.run(&["profiles", "remove", "corp"]).await;
    assert_eq!(r.code, 0, "{r:?}");
    let list = env.run(&["profiles", "--json"]).await.json();
    assert_eq!(names(&list, "profile"), ["sandbox", "Bank SE"]);
    let r = env.run(&["profiles", "remove", "corp"]).await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("no profile named \"corp\""), "{r:?}");
}

#[tokio::test]
async fn unusable_profiles_are_refused_with_the_option_to_pass() {
    let env = Env::new();
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "profiles",
                "add",
                "x",
                "--preset",
                "idura_se_bankid",
                "--client-id",
                "c",
            ],
            "--domain",
        ),
        (
            &[
                "profiles",
                "add",
                "x",
                "--preset",
                "authway_call_centre",
                "--domain",
                "acme",
            ],
            "--client-id",
        ),
        (
            &["profiles", "add", "x", "--preset", "nope"],
            "there is no preset \"nope\"",
        ),
        (
            &[
                "profiles",
                "add",
                "x",
                "--issuer",
                "https://idp.example.com",
            ],
            "--client-id",
        ),
        (
            &[
                "profiles",
                "add",
                "x",
                "--issuer",
                "http://idp.example.com",
                "--client-id",
                "c",
            ],
            "HTTPS",
        ),
    ];
    for (args, says) in cases {
        let r = env.run(args).await;
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        assert!(
            r.stderr.contains(says),
            "{args:?} should say {says:?}: {r:?}"
        );
    }
    assert!(!env.settings_file().exists(), "nothing was saved");
}

#[tokio::test]
async fn the_sandbox_cannot_be_removed_or_replaced() {
    let env = Env::new();
    let r = env.run(&["profiles", "remove", "sandbox"]).await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("sandbox profile cannot be removed"),
        "the reason is given: {r:?}"
    );
    let r = env
        .run(&[
            "profiles",
            "add",
            "sandbox",
            "--issuer",
            "https://a.example",
            "--client-id",
            "c",
            "--replace",
        ])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    let list = env.run(&["profiles", "--json"]).await.json();
    assert_eq!(names(&list, "profile"), ["sandbox"]);
}

#[tokio::test]
async fn export_and_import_round_trip_without_secrets() {
    let admin = Env::new();
    for args in [
        &[
            "profiles",
            "add",
            "Pickup",
            "--preset",
            "authway_pickup",
            "--domain",
            "acme-prod",
            "--client-id",
            "shop",
        ][..],
        &[
            "profiles",
            "add",
            "MitID demo",
            "--preset",
            "signaturgruppen_mitid_pp_demo",
        ][..],
        &[
            "profiles",
            "add",
            "corp",
            "--issuer",
            "https://idp.example.com",
            "--client-id",
            "c1",
        ][..],
    ] {
        let r = admin.run(args).await;
        assert_eq!(r.code, 0, "{args:?}: {r:?}");
    }
    let file = admin.root.path().join("profiles.toml");
    let r = admin
        .run(&["profiles", "export", file.to_str().unwrap()])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("sandbox-secret") && !text.contains("mIpxk84F"),
        "{text}"
    );
    assert!(
        !text.contains("name = \"sandbox\""),
        "the built-in sandbox is not exported"
    );

    // To stdout, one profile.
    let r = admin
        .run(&["profiles", "export", "--profile", "corp"])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("name = \"corp\"") && !r.stdout.contains("Pickup"),
        "{r:?}"
    );

    let agent = Env::new();
    let r = agent
        .run(&["profiles", "import", file.to_str().unwrap()])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("added \"Pickup\""), "{r:?}");
    assert!(r.stderr.contains("ciba-desk secret set corp"), "{r:?}");
    let a = admin.run(&["profiles", "--json"]).await.json();
    let b = agent.run(&["profiles", "--json"]).await.json();
    assert_eq!(names(&a, "profile"), names(&b, "profile"));
    for n in names(&a, "profile") {
        let (x, y) = (entry(&a, &n), entry(&b, &n));
        for k in [
            "provider",
            "issuer",
            "client_id",
            "auth_method",
            "identity_input",
            "keyring_entry",
        ] {
            assert_eq!(x[k], y[k], "{n}.{k}");
        }
    }

    // Importing the same again changes nothing and says so.
    let r = agent
        .run(&["profiles", "import", file.to_str().unwrap()])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("unchanged \"corp\""), "{r:?}");

    // A changed file: without --replace, what is here stays and the difference is named;
    // --dry-run shows each change and changes nothing; --replace prints what it changed.
    let moved = admin.root.path().join("moved.toml");
    std::fs::write(
        &moved,
        text.replace("https://idp.example.com", "https://idp.moved.example"),
    )
    .unwrap();
    let r = agent
        .run(&["profiles", "import", moved.to_str().unwrap()])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("skipped \"corp\": yours differs in issuer"),
        "{r:?}"
    );
    let r = agent
        .run(&["profiles", "import", "--dry-run", moved.to_str().unwrap()])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("would be replaced \"corp\":"), "{r:?}");
    assert!(
        r.stdout
            .contains("  issuer: \"https://idp.example.com\" -> \"https://idp.moved.example\""),
        "{r:?}"
    );
    assert!(r.stdout.contains("nothing was changed"), "{r:?}");
    let listed = agent.run(&["profiles", "--json"]).await.json();
    assert_eq!(entry(&listed, "corp")["issuer"], "https://idp.example.com");
    let r = agent
        .run(&["profiles", "import", "--replace", moved.to_str().unwrap()])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("replaced \"corp\":"), "{r:?}");
    assert!(
        r.stdout.contains("-> \"https://idp.moved.example\""),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("a stored secret is not sent there until it is entered again"),
        "{r:?}"
    );
    let listed = agent.run(&["profiles", "--json"]).await.json();
    assert_eq!(
        entry(&listed, "corp")["issuer"],
        "https://idp.moved.example"
    );

    // A file carrying a secret is refused as a whole.
    let bad = agent.root.path().join("bad.toml");
    std::fs::write(
        &bad,
        text.replace(
            "client_id = \"c1\"",
            "client_id = \"c1\"\nclient_secret = \"hunter2\"",
        ),
    )
    .unwrap();
    let other = Env::new();
    let r = other
        .run(&["profiles", "import", bad.to_str().unwrap()])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("looks like a secret"), "{r:?}");
    assert!(!r.all().contains("hunter2"));
    assert!(!other.settings_file().exists());

    // A shared file that keeps the name and issuer but sends the cancel call (with the
    // client's credentials) to another host is refused as a whole, even with --replace.
    let stolen = agent.root.path().join("stolen.toml");
    let issuer_line = text
        .lines()
        .find(|l| l.starts_with("issuer = ") && text.contains("name = \"corp\""))
        .unwrap()
        .to_owned();
    std::fs::write(
        &stolen,
        text.replacen(
            &issuer_line,
            &format!("{issuer_line}\ncancel_url = \"https://collector.example/{{auth_req_id}}\""),
            1,
        ),
    )
    .unwrap();
    let r = agent
        .run(&["profiles", "import", "--replace", stolen.to_str().unwrap()])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("cancel_url") && r.stderr.contains("not on the issuer's origin"),
        "{r:?}"
    );
    let after = agent.run(&["profiles", "--json"]).await.json();
    assert!(!after.to_string().contains("collector.example"), "{after}");

    // Nothing to export is an error, not an empty file.
    let r = other.run(&["profiles", "export"]).await;
    assert_eq!(r.code, 1, "{r:?}");
}

#[tokio::test]
async fn a_broken_settings_file_is_reported_and_left_alone() {
    let env = Env::new();
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(env.settings_file(), "schema_version = 1\n[[profiles]\n").unwrap();
    let r = env
        .run(&[
            "profiles",
            "add",
            "corp",
            "--issuer",
            "https://idp.example.com",
            "--client-id",
            "c",
        ])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("line 2"), "{r:?}");
    assert_eq!(
        std::fs::read_to_string(env.settings_file()).unwrap(),
        "schema_version = 1\n[[profiles]\n"
    );
}

/// The administrator's policy file decides which profiles there are: the command line lists
/// them as managed, refuses every change (exit 1, saying who decides), and offers no provider
/// of its own. A policy file that does not parse is named with its line and allows nothing.
#[tokio::test]
async fn a_policy_file_locks_the_profiles_and_the_command_line_obeys() {
    let env = Env::new();
    let add_own = [
        "profiles",
        "add",
        "own",
        "--issuer",
        "https://idp.example.com",
        "--client-id",
        "c",
    ];
    assert_eq!(env.run(&add_own).await.code, 0);
    env.policy(&testkit::policy::locked_bank());

    let list = env.run(&["profiles", "--json"]).await;
    assert_eq!(list.code, 0, "{list:?}");
    let list = list.json();
    assert_eq!(names(&list, "profile"), ["bank"]);
    assert_eq!(entry(&list, "bank")["managed"], true);
    let text = env.run(&["profiles"]).await;
    assert!(
        text.stdout.contains("managed by your organisation"),
        "{text:?}"
    );

    let policy = env.policy_file().display().to_string();
    let mut add_other = add_own;
    add_other[2] = "other";
    let export = env.root.path().join("export.toml");
    std::fs::write(&export, "[[profiles]]\nname = \"x\"\n").unwrap();
    for args in [
        &add_other[..],
        &["profiles", "remove", "own"],
        &["profiles", "import", export.to_str().unwrap()],
        &[
            "verify",
            "--issuer",
            "https://idp.example.com",
            "--client-id",
            "c",
            "--email",
            "a@example.com",
        ],
    ] {
        let r = env.run(args).await;
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        assert!(
            r.stderr.contains("managed by your organisation") && r.stderr.contains(&policy),
            "{args:?}: {r:?}"
        );
    }
    let r = env
        .run(&["verify", "--profile", "sandbox", "--email", "a@example.com"])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    // A settings file the agent broke does not set the policy aside.
    let settings = std::fs::read_to_string(env.settings_file()).unwrap();
    std::fs::write(env.settings_file(), "schema_version = [").unwrap();
    let r = env
        .run(&[
            "verify",
            "--issuer",
            "https://idp.example.com",
            "--client-id",
            "c",
            "--email",
            "a@example.com",
        ])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("managed by your organisation"), "{r:?}");
    std::fs::write(env.settings_file(), settings).unwrap();
    // Nor does a server the policy does not name.
    env.policy(&format!(
        "server_url = \"https://desk.bank.example\"\n{}",
        testkit::policy::locked_bank()
    ));
    let r = env
        .run(&[
            "verify",
            "--server",
            "https://127.0.0.1:9",
            "--profile",
            "bank",
            "--email",
            "a@example.com",
        ])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("the server this computer uses (https://desk.bank.example)"),
        "{r:?}"
    );
    // The agent's own profile is still in the settings file, for when the policy lets go.
    assert!(
        std::fs::read_to_string(env.settings_file())
            .unwrap()
            .contains("name = \"own\"")
    );

    env.policy("lock_profiles = tru\n");
    let r = env
        .run(&[
            "verify",
            "--server",
            "https://desk.bank.example",
            "--profile",
            "bank",
            "--email",
            "a@example.com",
        ])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("policy file"), "{r:?}");
    let r = env.run(&["profiles"]).await;
    assert!(
        r.stderr.contains("is not valid at line 1") && r.stderr.contains("locked down"),
        "{r:?}"
    );
    let r = env
        .run(&["verify", "--profile", "own", "--email", "a@example.com"])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("policy file"), "{r:?}");
}
