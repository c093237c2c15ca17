//! The table of known paths and their methods, read from the OpenAPI document so that it can
//! never disagree with the routes the server registered.

use utoipa::openapi::OpenApi;

/// Path templates (`/api/v1/orders/{id}`) with the methods each accepts.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<String>)>,
}

#[derive(Debug, PartialEq)]
enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    pub fn from_openapi(doc: &OpenApi) -> Self {
        let mut routes = Vec::new();
        for (path, item) in &doc.paths.paths {
            let segments = path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| {
                    if s.starts_with('{') {
                        Segment::Param
                    } else {
                        Segment::Literal(s.to_owned())
                    }
                })
                .collect();
            let mut methods = Vec::new();
            for (method, present) in [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ] {
                if present {
                    methods.push(method.to_owned());
                }
            }
            routes.push((segments, methods));
        }
        RouteTable { routes }
    }

    /// The methods the path accepts, or `None` when no route has this shape.
    pub fn allowed_methods(&self, path: &str) -> Option<Vec<String>> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut found: Option<Vec<String>> = None;
        for (segments, methods) in &self.routes {
            let matches = segments.len() == parts.len()
                && segments.iter().zip(&parts).all(|(segment, part)| match segment {
                    Segment::Literal(literal) => literal == part,
                    Segment::Param => true,
                });
            if matches {
                let all = found.get_or_insert_with(Vec::new);
                for method in methods {
                    if !all.contains(method) {
                        all.push(method.clone());
                    }
                }
            }
        }
        found
    }
}
