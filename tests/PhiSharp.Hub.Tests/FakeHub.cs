using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PhiSharp.Hub.Tests;

/// <summary>
/// A Hugging Face Hub on loopback, shaped as the real one answers huggingface_hub: the model API
/// (<c>/api/models/{repo}/revision/{rev}</c>), <c>resolve/{rev}/{file}</c> with X-Repo-Commit, and for LFS files a 302
/// to a CDN on another port (so another host, as to huggingface_hub) with X-Linked-Etag / X-Linked-Size; other files
/// are served directly with their git blob id as ETag. The CDN honours <c>Range</c>. Gated repositories answer 401
/// with X-Error-Code: GatedRepo unless the token is sent; a renamed repository answers a relative redirect. Every
/// request is recorded, and a download can be made to drop or stall after some bytes or to carry wrong bytes.
/// </summary>
public sealed class FakeHub : IAsyncDisposable
{
    public const string Token = "hf_test_token";

    readonly WebApplication _app;
    readonly ConcurrentDictionary<string, FakeRepo> _repos = new();

    internal IReadOnlyDictionary<string, FakeRepo> Repos => _repos;
    readonly ConcurrentDictionary<string, string> _renamed = new();
    readonly ConcurrentDictionary<string, byte[]> _cdn = new();

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();
    public Uri Endpoint { get; private set; } = null!;
    public Uri Cdn { get; private set; } = null!;

    /// <summary>The next CDN response sends this many bytes and then drops the connection.</summary>
    public long? DropAfterBytes { get; set; }

    /// <summary>The next CDN response sends this many bytes and then waits until the client goes away.</summary>
    public long? StallAfterBytes { get; set; }

    FakeHub()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Listen(IPAddress.Loopback, 0);
        });
        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
            var r = context.Request;
            Requests.Enqueue(new RecordedRequest(r.Method, context.Connection.LocalPort == Cdn.Port ? "cdn" : "hub", r.Path.Value!,
                r.Headers.Range.ToString() is { Length: > 0 } range ? range : null,
                r.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null));
            await next();
        });
        _app.MapGet("/api/models/{org}/{name}/revision/{revision}", (string org, string name, string revision) => ModelApi($"{org}/{name}"));
        _app.MapMethods("/{org}/{name}/resolve/{revision}/{**file}", ["GET", "HEAD"],
            (HttpContext context, string org, string name, string revision, string file) => Resolve(context, $"{org}/{name}", revision, file));
        _app.MapGet("/cdn/{sha}", (HttpContext context, string sha) => ServeCdn(context, sha));
    }

    public static async Task<FakeHub> StartAsync()
    {
        var hub = new FakeHub();
        await hub._app.StartAsync();
        var addresses = hub._app.Services.GetService(typeof(Microsoft.AspNetCore.Hosting.Server.IServer)) is Microsoft.AspNetCore.Hosting.Server.IServer server
            ? server.Features.Get<IServerAddressesFeature>()!.Addresses.ToList() : [];
        hub.Endpoint = new Uri(addresses[0]);
        hub.Cdn = new Uri(addresses[1]);
        return hub;
    }

    public FakeRepo AddRepo(string repoId, bool gated = false)
    {
        var repo = new FakeRepo(repoId, gated, this);
        _repos[repoId] = repo;
        return repo;
    }

    /// <summary><paramref name="oldId"/> answers a relative redirect to <paramref name="newId"/>, as a renamed repository does.</summary>
    public void Rename(string oldId, string newId) => _renamed[oldId] = newId;

    internal void Publish(string sha256, byte[] content) => _cdn[sha256] = content;

    IResult ModelApi(string repoId)
    {
        if (!_repos.TryGetValue(repoId, out var repo)) return RepoNotFound();
        var siblings = repo.Files.Values.Select(f => f.Lfs
            ? (object)new { rfilename = f.Name, size = f.Content.Length, blobId = f.GitBlobId, lfs = new { sha256 = f.Etag, size = f.Content.Length, pointerSize = 134 } }
            : new { rfilename = f.Name, size = f.Content.Length, blobId = f.GitBlobId });
        return Results.Json(new { id = repoId, modelId = repoId, sha = repo.Commit, gated = repo.Gated ? "manual" : (object)false, siblings });
    }

    IResult Resolve(HttpContext context, string repoId, string revision, string file)
    {
        if (_renamed.TryGetValue(repoId, out string? newId))
            return Results.Redirect($"/{newId}/resolve/{revision}/{file}", permanent: false, preserveMethod: true); // relative: no host
        if (!_repos.TryGetValue(repoId, out var repo)) return RepoNotFound();
        if (repo.Gated && context.Request.Headers.Authorization != $"Bearer {Token}")
        {
            context.Response.Headers["X-Error-Code"] = "GatedRepo";
            context.Response.Headers["X-Error-Message"] = "Access to model is restricted. You must have access to it and be authenticated to access it.";
            return Results.StatusCode(401);
        }
        context.Response.Headers["X-Repo-Commit"] = repo.Commit;
        if (!repo.Files.TryGetValue(file, out var entry))
        {
            context.Response.Headers["X-Error-Code"] = "EntryNotFound";
            return Results.StatusCode(404);
        }
        if (entry.Lfs)
        {
            context.Response.Headers["X-Linked-Etag"] = $"\"{entry.Etag}\"";
            context.Response.Headers["X-Linked-Size"] = entry.Content.Length.ToString();
            context.Response.Headers.ETag = $"\"{entry.GitBlobId}\""; // the pointer file's, which X-Linked-Etag overrides
            return Results.Redirect($"{Cdn}cdn/{entry.Etag}?X-Amz-Signature=fake", permanent: false);
        }
        context.Response.Headers.ETag = $"\"{entry.Etag}\"";
        return Results.Bytes(entry.Served, "application/octet-stream");
    }

    async Task ServeCdn(HttpContext context, string sha)
    {
        if (context.Connection.LocalPort != Cdn.Port || !_cdn.TryGetValue(sha, out byte[]? content))
        {
            context.Response.StatusCode = 404;
            return;
        }
        long start = 0;
        if (context.Request.Headers.Range.ToString() is { Length: > 0 } range && range.StartsWith("bytes=") && range.EndsWith('-'))
        {
            start = long.Parse(range["bytes=".Length..^1]);
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {start}-{content.Length - 1}/{content.Length}";
        }
        context.Response.ContentLength = content.Length - start;
        long? drop = DropAfterBytes, stall = StallAfterBytes;
        (DropAfterBytes, StallAfterBytes) = (null, null);
        long end = drop ?? stall ?? content.Length;
        await context.Response.Body.WriteAsync(content.AsMemory((int)start, (int)(Math.Min(end, content.Length) - start)));
        await context.Response.Body.FlushAsync();
        if (drop is not null)
        {
            // Let the client read the headers and the bytes sent before the connection is reset under it.
            await Task.Delay(500);
            context.Abort();
        }
        else if (stall is not null)
        {
            try { await Task.Delay(Timeout.Infinite, context.RequestAborted); } catch (OperationCanceledException) { }
        }
    }

    static IResult RepoNotFound() =>
        new HeaderedStatus(404, "RepoNotFound");

    sealed class HeaderedStatus(int status, string code) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = status;
            context.Response.Headers["X-Error-Code"] = code;
            return Task.CompletedTask;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record RecordedRequest(string Method, string Host, string Path, string? Range, string? Authorization);

/// <summary>A repository of the fake Hub at one commit.</summary>
public sealed class FakeRepo(string id, bool gated, FakeHub hub)
{
    public string Id { get; } = id;
    public bool Gated { get; } = gated;
    public string Commit { get; set; } = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(id)));
    internal ConcurrentDictionary<string, FakeFile> Files { get; } = new();

    /// <param name="lfs">Served through the CDN with its SHA-256 as etag (model weights); otherwise served directly with
    /// its git blob id as ETag (config files).</param>
    /// <param name="served">Bytes sent instead of <paramref name="content"/> (a corrupted download).</param>
    /// <param name="etag">An etag sent instead of the file's own (a hostile server).</param>
    public FakeRepo Add(string name, byte[] content, bool lfs = true, byte[]? served = null, string? etag = null)
    {
        var file = new FakeFile(name, content, lfs, served ?? content) { EtagOverride = etag };
        Files[name] = file;
        if (lfs) hub.Publish(file.Etag, file.Served);
        return this;
    }
}

public sealed record FakeFile(string Name, byte[] Content, bool Lfs, byte[] Served)
{
    public string GitBlobId => Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {Content.Length}\0"), .. Content]));
    public string? EtagOverride { get; init; }
    public string Etag => EtagOverride ?? (Lfs ? Convert.ToHexStringLower(SHA256.HashData(Content)) : GitBlobId);
}
