"""marshmallow schemas: request validation, response shapes and OpenAPI components."""
