using System.Text.Json;

namespace PhiSharp.Server;

/// <summary>OpenAI's streaming framing: one <c>data: {json}</c> event per chunk, flushed at once, then <c>data: [DONE]</c>.</summary>
sealed class ServerSentEvents(HttpResponse response)
{
    public void Start()
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // proxies must not hold tokens back
    }

    public async Task WriteAsync(object chunk, CancellationToken ct)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(chunk, JsonOptions.Wire);
        await response.Body.WriteAsync("data: "u8.ToArray(), ct);
        await response.Body.WriteAsync(json, ct);
        await response.Body.WriteAsync("\n\n"u8.ToArray(), ct);
        await response.Body.FlushAsync(ct);
    }

    public async Task DoneAsync(CancellationToken ct)
    {
        await response.Body.WriteAsync("data: [DONE]\n\n"u8.ToArray(), ct);
        await response.Body.FlushAsync(ct);
    }
}
