//! Where uploaded files are kept: the local filesystem under `DATA_DIR/uploads`, or an
//! S3-compatible bucket that several server processes share. Both through `object_store`.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, aws::AmazonS3Builder, local::LocalFileSystem, path::Path};

use crate::config::{Settings, UploadStoreSettings};

/// The configured store.
#[derive(Clone, Debug)]
pub struct UploadStore {
    inner: Arc<dyn ObjectStore>,
}

impl UploadStore {
    /// The store the settings name; the local folder is created (private) when missing.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let inner: Arc<dyn ObjectStore> = match &settings.uploads.store {
            UploadStoreSettings::Local => {
                let dir = settings.data_dir.join("uploads");
                crate::config::create_private_dir(&dir)?;
                Arc::new(LocalFileSystem::new_with_prefix(&dir)?)
            }
            UploadStoreSettings::S3(s3) => {
                // The store's HTTP client uses rustls without a built-in provider: ring, as
                // everywhere else. Installing twice (a second server in one process) is harmless.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_access_key_id(&s3.access_key_id)
                    .with_secret_access_key(&s3.secret_access_key)
                    .with_allow_http(s3.allow_http);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                Arc::new(builder.build()?)
            }
        };
        Ok(UploadStore { inner })
    }

    pub async fn put(&self, key: &str, body: Vec<u8>) -> anyhow::Result<()> {
        self.inner.put(&Path::from(key), PutPayload::from(body)).await?;
        Ok(())
    }

    /// The object's bytes as a stream.
    pub async fn get(&self, key: &str) -> anyhow::Result<BoxStream<'static, object_store::Result<Bytes>>> {
        Ok(self.inner.get(&Path::from(key)).await?.into_stream())
    }

    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.inner.delete(&Path::from(key)).await?;
        Ok(())
    }
}
