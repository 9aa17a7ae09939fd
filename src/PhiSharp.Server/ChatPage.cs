using Microsoft.AspNetCore.Builder;

namespace PhiSharp.Server;

/// <summary>
/// The chat page at / and its bundle (/app.js, /app.css), embedded in the assembly by wwwroot/ChatPage.targets.
/// Every file is sent with a Content-Security-Policy that allows only this server's own script, styles and API: no
/// inline script, no other origin, so even markup that slipped past the page's sanitizer could neither run nor call out.
/// </summary>
static class ChatPage
{
    /// <summary>The page's policy: its own files and API only; no plugins, frames, forms posted elsewhere or base URL change.
    /// Images may also be data: URLs, which is how the page shows the images a user attached (the markdown of answers
    /// renders no images at all).</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "app.css", "text/css; charset=utf-8"),
    ];

    public static void Map(WebApplication app)
    {
        foreach (var (path, resource, contentType) in Files)
        {
            byte[] content = Read(resource);
            app.MapGet(path, (HttpContext http) =>
            {
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                // Revalidated on every load, so a browser never keeps a page older than the server it talks to.
                headers.CacheControl = "no-cache";
                return Results.Bytes(content, contentType);
            });
        }
    }

    static byte[] Read(string resource)
    {
        using var stream = typeof(ChatPage).Assembly.GetManifestResourceStream("PhiSharp.Server.ChatPage." + resource)
            ?? throw new InvalidOperationException($"The chat page's {resource} is missing from the assembly (built by wwwroot/ChatPage.targets).");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
