// The API reference: Swagger UI (vendored here, version 5.35.0 of swagger-ui-dist) reading
// this server's OpenAPI document. Nothing is loaded from another site: the validator badge,
// which would call validator.swagger.io, is off.
window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#reference',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
