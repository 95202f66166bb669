//! How the authenticated user reaches the handler.
//!
//! After a successful authentication the layer inserts [`AuthUser<U>`] into the request
//! extensions. Any tower service can read it with [`AuthUser::from_request`]; with the
//! `axum` feature it is also an extractor, and `Option<AuthUser<U>>` works on routes
//! behind an [optional](crate::AuthLayer::optional) layer.
//!
//! ```
//! use tower_httpauth::AuthUser;
//!
//! let mut req = http::Request::new(());
//! req.extensions_mut().insert(AuthUser("john".to_string()));
//! assert_eq!(AuthUser::<String>::from_request(&req).map(|u| u.as_str()), Some("john"));
//! ```

use std::ops::{Deref, DerefMut};

/// The authenticated user, as the verifier returned it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AuthUser<U>(pub U);

impl<U: Send + Sync + 'static> AuthUser<U> {
    /// The user of an authenticated request, if any.
    pub fn from_request<B>(req: &http::Request<B>) -> Option<&U> {
        req.extensions().get::<AuthUser<U>>().map(|u| &u.0)
    }

    /// The user recorded in request parts, if any.
    pub fn from_parts(parts: &http::request::Parts) -> Option<&U> {
        parts.extensions.get::<AuthUser<U>>().map(|u| &u.0)
    }

    /// The inner user.
    pub fn into_inner(self) -> U {
        self.0
    }
}

impl<U> Deref for AuthUser<U> {
    type Target = U;
    fn deref(&self) -> &U {
        &self.0
    }
}

impl<U> DerefMut for AuthUser<U> {
    fn deref_mut(&mut self) -> &mut U {
        &mut self.0
    }
}

#[cfg(feature = "axum")]
mod axum_impl {
    use super::AuthUser;
    use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
    use axum_core::response::{IntoResponse, Response};
    use http::StatusCode;
    use http::request::Parts;
    use std::convert::Infallible;

    /// The rejection of the [`AuthUser`] extractor: the route has no authentication layer in
    /// front of it, the layer's user type differs, or the layer hands no user on
    /// ([`AuthLayer::insert_user`](crate::AuthLayer::insert_user)`(false)`). A programming
    /// error, answered `500`.
    #[derive(Debug, Clone, Copy)]
    pub struct MissingAuthUser;

    impl std::fmt::Display for MissingAuthUser {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(
                "AuthUser extractor used on a route without a matching tower-httpauth layer \
                 (or behind one built with insert_user(false))",
            )
        }
    }

    impl std::error::Error for MissingAuthUser {}

    impl IntoResponse for MissingAuthUser {
        fn into_response(self) -> Response {
            tracing::error!("{self}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "authentication is not configured for this route",
            )
                .into_response()
        }
    }

    impl<S, U> FromRequestParts<S> for AuthUser<U>
    where
        S: Send + Sync,
        U: Clone + Send + Sync + 'static,
    {
        type Rejection = MissingAuthUser;

        async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
            parts.extensions.get::<AuthUser<U>>().cloned().ok_or(MissingAuthUser)
        }
    }

    impl<S, U> OptionalFromRequestParts<S> for AuthUser<U>
    where
        S: Send + Sync,
        U: Clone + Send + Sync + 'static,
    {
        type Rejection = Infallible;

        async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
            Ok(parts.extensions.get::<AuthUser<U>>().cloned())
        }
    }
}

#[cfg(feature = "axum")]
pub use axum_impl::MissingAuthUser;
