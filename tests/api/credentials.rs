//! Platform credentials: admin only, secrets sealed at rest and never
//! answered, per tenant, and not deletable while a source uses them.

use sea_orm::ConnectionTrait;
use serde_json::json;
use smrm_tests::spawn_app;

const SECRET: &str = "vk1.a.SuperSecretServiceToken-42";

#[actix_web::test]
async fn secrets_are_sealed_at_rest_and_never_answered() {
    // A database the test can open beside the server.
    let app = smrm_tests::spawn_durable_app(|_| {}).await;
    let t = app.signup("Keys").await;
    let created = app
        .post("/v1/credentials")
        .token(&t.token)
        .json(json!({"kind": "vk", "name": "VK service token", "secret": SECRET}))
        .send()
        .await
        .expect(201);
    let id = created.id();
    assert_eq!(created.header("location"), Some(format!("/v1/credentials/{id}").as_str()));
    assert_eq!(created.body["kind"], "vk");
    assert_eq!(created.body["status"], "ok");
    assert_eq!(created.body["last_used_at"], serde_json::Value::Null);
    let listed = app.get("/v1/credentials").token(&t.token).send().await.expect(200).text;
    let one = app.get(&format!("/v1/credentials/{id}")).token(&t.token).send().await.expect(200).text;
    for answer in [&created.text, &listed, &one] {
        assert!(!answer.contains("SuperSecret"), "the secret is never answered: {answer}");
    }

    // In the database: neither the secret nor any part of it in the clear.
    let store = app.store().await;
    let rows = store
        .connection()
        .query_all_raw(sea_orm::Statement::from_string(
            store.connection().get_database_backend(),
            "SELECT key_version, nonce, secret FROM credentials",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let sealed: Vec<u8> = rows[0].try_get("", "secret").unwrap();
    let nonce: Vec<u8> = rows[0].try_get("", "nonce").unwrap();
    let version: String = rows[0].try_get("", "key_version").unwrap();
    assert_eq!(nonce.len(), 12);
    assert_eq!(version.len(), 16);
    assert!(!sealed.windows(6).any(|w| w == b"Secret"), "sealed at rest");
    assert_eq!(sealed.len(), SECRET.len() + 16, "the ciphertext and its tag");
}

#[actix_web::test]
async fn credentials_belong_to_admins_of_their_tenant() {
    let app = spawn_app().await;
    let t = app.signup("Owners").await;
    let other = app.signup("Others").await;
    let analyst = app.user_token(&t.token, "analyst", &[]).await;
    app.post("/v1/credentials")
        .token(&analyst)
        .json(json!({"kind": "vk", "name": "x", "secret": "y"}))
        .send()
        .await
        .problem(403);
    app.get("/v1/credentials").token(&analyst).send().await.problem(403);
    let id = app
        .post("/v1/credentials")
        .token(&t.token)
        .json(json!({"kind": "youtube", "name": "YouTube key", "secret": "AIzaKey"}))
        .send()
        .await
        .expect(201)
        .id();
    app.get(&format!("/v1/credentials/{id}")).token(&other.token).send().await.problem(404);
    app.delete(&format!("/v1/credentials/{id}")).token(&other.token).send().await.problem(404);
    assert_eq!(app.get("/v1/credentials").token(&other.token).send().await.expect(200).body["data"], json!([]));

    let bad = app
        .post("/v1/credentials")
        .token(&t.token)
        .json(json!({"kind": "reddit", "name": "", "secret": "no-colon"}))
        .send()
        .await
        .problem(422);
    assert_eq!(bad.fields(), ["name", "secret"]);
    app.post("/v1/credentials")
        .token(&t.token)
        .json(json!({"kind": "twitter", "name": "x", "secret": "y"}))
        .send()
        .await
        .problem(422);
    app.delete(&format!("/v1/credentials/{id}")).token(&t.token).send().await.expect(204);
    app.get(&format!("/v1/credentials/{id}")).token(&t.token).send().await.problem(404);
}

#[actix_web::test]
async fn a_credential_in_use_cannot_be_deleted_and_must_fit_its_source() {
    let app = spawn_app().await;
    let t = app.signup("In use").await;
    let other = app.signup("Elsewhere").await;
    let cred = |token: String, kind: &'static str| {
        let app = &app;
        async move {
            app.post("/v1/credentials")
                .token(&token)
                .json(json!({"kind": kind, "name": kind, "secret": "s:t"}))
                .send()
                .await
                .expect(201)
                .id()
        }
    };
    let vk = cred(t.token.clone(), "vk").await;
    let youtube = cred(t.token.clone(), "youtube").await;
    let foreign = cred(other.token.clone(), "vk").await;

    let wall = |credential: &str| json!({"kind": "vk_wall", "config": {"owner": "-1"}, "credential_id": credential});
    let bad = app.post("/v1/sources").token(&t.token).json(wall(&youtube)).send().await.problem(422);
    assert_eq!(bad.fields(), ["credential_id"]);
    let bad = app.post("/v1/sources").token(&t.token).json(wall(&foreign)).send().await.problem(422);
    assert_eq!(bad.fields(), ["credential_id"], "another tenant's credential does not exist here");
    let source = app.post("/v1/sources").token(&t.token).json(wall(&vk)).send().await.expect(201).id();

    let conflict = app.delete(&format!("/v1/credentials/{vk}")).token(&t.token).send().await.problem(409);
    assert!(conflict.body["detail"].as_str().unwrap().contains("1 source"), "{}", conflict.body);
    app.delete(&format!("/v1/sources/{source}")).token(&t.token).send().await.expect(204);
    app.delete(&format!("/v1/credentials/{vk}")).token(&t.token).send().await.expect(204);
}
