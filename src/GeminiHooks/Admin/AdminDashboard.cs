using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace GeminiHooks.Admin;

/// <summary>
/// The operator dashboard: one static page (HTML, CSS and vanilla JS embedded in this assembly) at <c>/admin</c>.
/// The page itself needs no key, since it holds no data: the operator types the admin key once, the page keeps it in
/// <c>sessionStorage</c> (gone when the tab closes) and sends it as a bearer token on every call to the operator API.
/// </summary>
static class AdminDashboard
{
    /// <summary>
    /// Scripts and styles only from this origin (no inline code), data only from this origin, never framed: injected
    /// markup in an event field could not run even if the page rendered it, which it does not (textContent only).
    /// </summary>
    const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    static readonly Asset Page = new("index.html", "text/html; charset=utf-8");
    static readonly Asset Script = new("dashboard.js", "text/javascript; charset=utf-8");
    static readonly Asset Styles = new("dashboard.css", "text/css; charset=utf-8");
    static readonly Asset Timeline = new("timeline.js", "text/javascript; charset=utf-8");
    static readonly Asset Search = new("search.js", "text/javascript; charset=utf-8");
    static readonly Asset Handlers = new("handlers.js", "text/javascript; charset=utf-8");

    public static void MapGeminiHooksDashboard(this IEndpointRouteBuilder endpoints, AdminGate gate)
    {
        // "/admin" also matches "/admin/": routing ignores one trailing slash.
        endpoints.MapGet("/admin", (HttpContext context) => ServeAsync(context, gate, Page)).ExcludeFromDescription();
        endpoints.MapGet("/admin/dashboard.js", (HttpContext context) => ServeAsync(context, gate, Script)).ExcludeFromDescription();
        endpoints.MapGet("/admin/dashboard.css", (HttpContext context) => ServeAsync(context, gate, Styles)).ExcludeFromDescription();
        endpoints.MapGet("/admin/timeline.js", (HttpContext context) => ServeAsync(context, gate, Timeline)).ExcludeFromDescription();
        endpoints.MapGet("/admin/search.js", (HttpContext context) => ServeAsync(context, gate, Search)).ExcludeFromDescription();
        endpoints.MapGet("/admin/handlers.js", (HttpContext context) => ServeAsync(context, gate, Handlers)).ExcludeFromDescription();
    }

    static async Task ServeAsync(HttpContext context, AdminGate gate, Asset asset)
    {
        // Same rule as the API: removing the key on a reload, or a client outside Admin:AllowedNetworks, finds nothing.
        if (!gate.Visible(context))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var headers = context.Response.Headers;
        headers.ContentType = asset.ContentType;
        headers.CacheControl = "no-cache";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        var bytes = asset.Bytes;
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    sealed class Asset(string name, string contentType)
    {
        readonly Lazy<byte[]> _bytes = new(() => Load(name));

        public string ContentType { get; } = contentType;
        public byte[] Bytes => _bytes.Value;

        static byte[] Load(string name)
        {
            var resource = "GeminiHooks.Admin.Dashboard." + name;
            using var stream = typeof(AdminDashboard).Assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"The embedded resource {resource} is missing from the build.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }
}
