// Starts Swagger UI from local files (no CDN, no inline script: the CSP forbids both).
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-ui-container",
    deepLinking: true,
  });
});
