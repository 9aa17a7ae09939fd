using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace PhiSharp.Hub;

/// <summary>
/// The Hub's HTTP API as huggingface_hub speaks it: the model API for file lists, a HEAD on <c>resolve</c> for a file's
/// commit, etag and size (following relative redirects only, so a renamed repository is followed and a CDN redirect is
/// read, not taken), and a GET of the file, resumable with <c>Range</c>. Errors become one-line <see cref="HubException"/>s.
/// </summary>
public sealed class HubClient : IDisposable
{
    readonly HubOptions _options;
    // Redirects are handled here: HEAD must stop at a CDN redirect to read its headers.
    readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public HubClient(HubOptions options)
    {
        _options = options;
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("phisharp/1.0");
    }

    public void Dispose() => _http.Dispose();

    /// <summary>GET /api/models/{repo}/revision/{revision}?blobs=true (HfApi.model_info with files_metadata).</summary>
    public async Task<RepositoryInfo> GetRepositoryAsync(string repoId, string revision, CancellationToken cancellation)
    {
        var url = new Uri($"{_options.Endpoint}/api/models/{repoId}/revision/{Uri.EscapeDataString(revision)}?blobs=true");
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, url), repoId, null, cancellation);
        await using var body = await response.Content.ReadAsStreamAsync(cancellation);
        try
        {
            using var json = await JsonDocument.ParseAsync(body, cancellationToken: cancellation);
            var root = json.RootElement;
            var files = root.GetProperty("siblings").EnumerateArray().Select(s => new RepositoryFileInfo(
                s.GetProperty("rfilename").GetString()!,
                s.TryGetProperty("lfs", out var lfs) && lfs.TryGetProperty("size", out var lfsSize) ? lfsSize.GetInt64()
                : s.TryGetProperty("size", out var size) ? size.GetInt64() : null)).ToList();
            string commit = root.GetProperty("sha").GetString()!;
            if (!IsPathSafe(commit)) throw new HubException($"the model API sent a commit for '{repoId}' that is not a plain name ('{commit}')");
            // A file name that would leave the snapshot folder is not one PhiSharp downloads.
            return new RepositoryInfo(repoId, commit, files.Where(f => ModelName.IsRelativeFileName(f.Name)).ToList());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new HubException($"{_options.Endpoint} answered the model API for '{repoId}' with something that is not a model description");
        }
    }

    /// <summary>get_hf_file_metadata: HEAD with Accept-Encoding: identity (the real size), relative redirects followed;
    /// X-Linked-Etag and X-Linked-Size preferred over ETag and Content-Length, which describe the redirect itself.</summary>
    public async Task<FileMetadata> GetFileMetadataAsync(string repoId, string file, string revision, CancellationToken cancellation)
    {
        var url = ResolveUrl(repoId, file, revision);
        for (int hops = 0; ; hops++)
        {
            var request = new HttpRequestMessage(HttpMethod.Head, url);
            request.Headers.AcceptEncoding.ParseAdd("identity");
            using var response = await SendAsync(request, repoId, file, cancellation);
            var location = response.Headers.Location;
            bool redirect = (int)response.StatusCode is >= 300 and <= 399;
            if (redirect && location is not null && !location.IsAbsoluteUri && hops < 10)
            {
                // A renamed repository: same host, new path (the query of the original URL is not kept, as urlparse._replace).
                url = new Uri(url, location.OriginalString.Split('?')[0]);
                continue;
            }
            string? commit = Header(response, "X-Repo-Commit");
            string? etag = NormalizeEtag(Header(response, "X-Linked-Etag") ?? response.Headers.ETag?.ToString() ?? Header(response, "ETag"));
            long? size = long.TryParse(Header(response, "X-Linked-Size"), out long linked) ? linked
                : redirect ? null : response.Content.Headers.ContentLength;
            if (commit is null)
                throw new HubException($"{url.GetLeftPart(UriPartial.Authority)} does not look like a Hugging Face Hub (no X-Repo-Commit header); check HF_ENDPOINT and any proxy");
            if (etag is null) throw new HubException($"the Hub sent no ETag for '{repoId}/{file}', so its download could not be verified");
            if (size is null) throw new HubException($"the Hub sent no size for '{repoId}/{file}'");
            // Both name files in the cache (blobs/<etag>, snapshots/<commit>): a server must not be able to name a path.
            if (!IsPathSafe(commit) || !IsPathSafe(etag))
                throw new HubException($"the Hub sent a commit or etag for '{repoId}/{file}' that is not a plain name ('{commit}', '{etag}')");
            return new FileMetadata(commit, etag, size.Value, redirect && location is not null ? location : url);
        }
    }

    /// <summary>Opens a GET of <paramref name="location"/> from byte <paramref name="offset"/> on (a Range request when
    /// it is not 0). Redirects are followed; the token goes only to the Hub's own host (a CDN URL is signed, and
    /// huggingface_hub drops the Authorization header for another host).</summary>
    public async Task<HttpResponseMessage> OpenAsync(string repoId, string file, Uri location, long offset, CancellationToken cancellation)
    {
        var url = location;
        for (int hops = 0; ; hops++)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.AcceptEncoding.ParseAdd("identity");
            if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
            var response = await SendAsync(request, repoId, file, cancellation, HttpCompletionOption.ResponseHeadersRead);
            if ((int)response.StatusCode is >= 300 and <= 399 && response.Headers.Location is { } next && hops < 10)
            {
                response.Dispose();
                url = new Uri(url, next);
                continue;
            }
            return response;
        }
    }

    Uri ResolveUrl(string repoId, string file, string revision) =>
        new($"{_options.Endpoint}/{repoId}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}");

    async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string repoId, string? file, CancellationToken cancellation,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        if (_options.Token is { } token && SameHost(request.RequestUri!, new Uri(_options.Endpoint)))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        // Until the headers: a Hub that does not answer in time is as unreachable as one that refuses the connection.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(_options.MetadataTimeout);
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (completion == HttpCompletionOption.ResponseContentRead) await response.Content.LoadIntoBufferAsync(timeout.Token);
        }
        catch (HttpRequestException e)
        {
            throw new HubException($"cannot reach {request.RequestUri!.GetLeftPart(UriPartial.Authority)}: {e.Message}", e) { CacheMayAnswer = true };
        }
        catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
        {
            throw new HubException($"cannot reach {request.RequestUri!.GetLeftPart(UriPartial.Authority)}: no answer in " +
                                   $"{_options.MetadataTimeout.TotalSeconds:0.#} s (HF_HUB_ETAG_TIMEOUT)", e) { CacheMayAnswer = true };
        }
        finally
        {
            request.Dispose();
        }
        if (response.IsSuccessStatusCode || (int)response.StatusCode is >= 300 and <= 399) return response;
        using (response) throw Refusal(response, repoId, file);
    }

    /// <summary>hf_raise_for_status's cases, as sentences: X-Error-Code names gated repositories, missing repositories,
    /// revisions and files; a 401 or 403 without one is a gated or private repository too.</summary>
    HubException Refusal(HttpResponseMessage response, string repoId, string? file)
    {
        int status = (int)response.StatusCode;
        string? code = Header(response, "X-Error-Code");
        string what = file is null ? $"'{repoId}'" : $"'{repoId}/{file}'";
        string tokenAdvice = _options.Token is null
            ? "set HF_TOKEN to a token of an account that has accepted its terms (https://huggingface.co/settings/tokens)"
            : "the token in HF_TOKEN was refused; check that its account has accepted the repository's terms";
        var refusal = code switch
        {
            "GatedRepo" => new HubException($"'{repoId}' is a gated repository ({status}): {tokenAdvice}"),
            "RepoNotFound" => new HubException($"repository '{repoId}' not found on {_options.Endpoint} ({status}); if it is private, set HF_TOKEN"),
            "RevisionNotFound" => new HubException($"revision not found in '{repoId}' ({status})"),
            "EntryNotFound" => new HubException($"{what} not found: the repository has no such file ({status})"),
            _ when status is 401 or 403 => new HubException($"{what} refused access ({status}): the repository is gated or private; {tokenAdvice}"),
            _ when status == 404 => new HubException($"{what} not found on {_options.Endpoint} (404)"),
            _ => new HubException($"{_options.Endpoint} answered {status} {response.ReasonPhrase} for {what}"),
        };
        // A file or revision the Hub says does not exist is not looked up in the cache (hf_hub_download re-raises those).
        return code is "EntryNotFound" or "RevisionNotFound" ? refusal : new HubException(refusal.Message) { CacheMayAnswer = true };
    }

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? values.FirstOrDefault() : null;

    /// <summary>_normalize_etag: W/"x" and "x" are both x.</summary>
    internal static string? NormalizeEtag(string? etag) => etag is null ? null : (etag.StartsWith("W/") ? etag[2..] : etag).Trim('"');

    /// <summary>Letters, digits, '-', '_' and '.', and not a dot alone or two: a hex hash always is.</summary>
    internal static bool IsPathSafe(string name) =>
        name.Length is > 0 and <= 128 && name is not ("." or "..") && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    internal static bool SameHost(Uri a, Uri b) => a.Authority.Equals(b.Authority, StringComparison.OrdinalIgnoreCase) && a.Scheme == b.Scheme;
}
