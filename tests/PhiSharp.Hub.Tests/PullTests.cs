using System.Security.Cryptography;

namespace PhiSharp.Hub.Tests;

/// <summary>`phi pull` against a Hub-shaped server: what lands in the cache, and which requests were made for it.</summary>
public sealed class PullTests : IAsyncLifetime
{
    HubFixture _f = null!;

    public async Task InitializeAsync() => _f = await HubFixture.StartAsync();
    public async Task DisposeAsync() => await _f.DisposeAsync();

    async Task<PulledModel> Pull(string name, HubOptions? options = null, IProgress<PullProgress>? progress = null, CancellationToken cancellation = default)
    {
        using var puller = new ModelPuller(options ?? _f.Options);
        return await puller.PullAsync(name, progress, cancellation);
    }

    [Fact]
    public async Task An_alias_lands_in_the_hf_cache_as_a_snapshot_link_to_a_blob_named_by_its_sha256()
    {
        byte[] model = HubFixture.TinyGguf();
        var repo = _f.AddPhi3(model);
        string sha = Convert.ToHexStringLower(SHA256.HashData(model));

        var pulled = await Pull("phi3");

        string repoFolder = Path.Combine(_f.Cache, "models--microsoft--Phi-3-mini-4k-instruct-gguf");
        Assert.Equal(Path.Combine(repoFolder, "snapshots", repo.Commit, "Phi-3-mini-4k-instruct-q4.gguf"), pulled.Path);
        Assert.Equal(Path.Combine("..", "..", "blobs", sha), new FileInfo(pulled.Path).LinkTarget);
        Assert.Equal(model, File.ReadAllBytes(Path.Combine(repoFolder, "blobs", sha)));
        Assert.Equal(repo.Commit, File.ReadAllText(Path.Combine(repoFolder, "refs", "main")));
        Assert.Equal([Path.Combine("blobs", sha), Path.Combine("refs", "main"), Path.Combine("snapshots", repo.Commit, "Phi-3-mini-4k-instruct-q4.gguf")],
            _f.FilesUnder(repoFolder));
        Assert.StartsWith("Signature: 8a477f597d28d172789f06886806bc55\n", File.ReadAllText(Path.Combine(_f.Cache, "CACHEDIR.TAG")));
        using (var loaded = LanguageModel.Load(pulled.Path)) Assert.Equal("phi3", loaded.Info.Architecture);
    }

    [Fact]
    public async Task Metadata_comes_from_a_head_on_resolve_and_the_bytes_from_the_cdn_it_redirects_to_without_the_token()
    {
        _f.AddPhi3(gated: true);
        await Pull("phi3", _f.Options with { Token = FakeHub.Token });

        var requests = _f.Hub.Requests.ToList();
        var head = Assert.Single(requests, r => r.Method == "HEAD");
        Assert.Equal(("hub", "/microsoft/Phi-3-mini-4k-instruct-gguf/resolve/main/Phi-3-mini-4k-instruct-q4.gguf", $"Bearer {FakeHub.Token}"),
            (head.Host, head.Path, head.Authorization));
        var get = Assert.Single(requests, r => r.Method == "GET");
        Assert.Equal("cdn", get.Host);
        Assert.StartsWith("/cdn/", get.Path);
        Assert.Null(get.Authorization); // a signed CDN URL on another host gets no token, as huggingface_hub drops it
        Assert.Null(get.Range);
    }

    [Fact]
    public async Task A_second_pull_asks_the_hub_for_metadata_only()
    {
        _f.AddPhi3();
        var first = await Pull("phi3");
        int gets = _f.Hub.Requests.Count(r => r.Method == "GET");
        var second = await Pull("phi3");
        Assert.Equal(first.Path, second.Path);
        Assert.Equal(gets, _f.Hub.Requests.Count(r => r.Method == "GET"));
    }

    [Fact]
    public async Task A_repository_id_lists_files_with_the_model_api_and_takes_the_gguf_of_the_quantization()
    {
        byte[] q4 = HubFixture.TinyGguf(), q8 = HubFixture.TinyGguf(512);
        _f.Hub.AddRepo("someone/tiny-GGUF").Add("tiny.Q8_0.gguf", q8).Add("tiny.Q4_K_M.gguf", q4).Add("mmproj-tiny-f16.gguf", [1, 2, 3])
            .Add("README.md", "readme"u8.ToArray(), lfs: false);

        var byDefault = await Pull("someone/tiny-GGUF");
        var q8Pulled = await Pull("someone/tiny-GGUF:q8_0");

        Assert.Equal("tiny.Q4_K_M.gguf", Path.GetFileName(byDefault.Path));
        Assert.Equal(q4, File.ReadAllBytes(byDefault.Path));
        Assert.Equal(q8, File.ReadAllBytes(q8Pulled.Path));
        Assert.Contains(_f.Hub.Requests, r => r.Path == "/api/models/someone/tiny-GGUF/revision/main");
        var error = await Assert.ThrowsAsync<HubException>(() => Pull("someone/tiny-GGUF:q6_k"));
        Assert.Contains("has no q6_k GGUF file", error.Message);
    }

    [Fact]
    public async Task Repo_colon_file_downloads_that_file_even_in_a_subfolder()
    {
        byte[] model = HubFixture.TinyGguf();
        var repo = _f.Hub.AddRepo("someone/models").Add("v2/tiny.gguf", model);
        var pulled = await Pull("someone/models:v2/tiny.gguf");
        Assert.Equal(Path.Combine(_f.Cache, "models--someone--models", "snapshots", repo.Commit, "v2", "tiny.gguf"), pulled.Path);
        Assert.Equal(Path.Combine("..", "..", "..", "blobs", Convert.ToHexStringLower(SHA256.HashData(model))), new FileInfo(pulled.Path).LinkTarget);
        Assert.Equal(model, File.ReadAllBytes(pulled.Path));
    }

    [Fact]
    public async Task A_renamed_repository_is_followed_through_its_relative_redirect()
    {
        _f.AddPhi3();
        _f.Hub.Rename("microsoft/Phi-3-mini-old-gguf", "microsoft/Phi-3-mini-4k-instruct-gguf");
        var pulled = await Pull("microsoft/Phi-3-mini-old-gguf:Phi-3-mini-4k-instruct-q4.gguf");
        Assert.Contains(Path.Combine("models--microsoft--Phi-3-mini-old-gguf", "snapshots"), pulled.Path); // stored under the name asked for
        Assert.Equal(2, _f.Hub.Requests.Count(r => r.Method == "HEAD"));
    }

    [Fact]
    public async Task A_dropped_connection_leaves_an_incomplete_file_that_the_next_pull_resumes_with_range()
    {
        byte[] model = HubFixture.TinyGguf();
        _f.AddPhi3(model);
        string blobs = Path.Combine(_f.Cache, "models--microsoft--Phi-3-mini-4k-instruct-gguf", "blobs");
        string sha = Convert.ToHexStringLower(SHA256.HashData(model));
        _f.Hub.DropAfterBytes = 30_000;

        var error = await Assert.ThrowsAsync<HubException>(() => Pull("phi3"));
        Assert.Contains("interrupted", error.Message);
        Assert.Contains("run the same command again to resume", error.Message);
        Assert.Equal([$"{sha}.incomplete"], _f.FilesUnder(blobs));
        Assert.Equal(30_000, new FileInfo(Path.Combine(blobs, $"{sha}.incomplete")).Length);

        var pulled = await Pull("phi3");
        Assert.Equal("bytes=30000-", _f.Hub.Requests.Last(r => r.Host == "cdn").Range);
        Assert.Equal(model, File.ReadAllBytes(pulled.Path));
        Assert.Equal([sha], _f.FilesUnder(blobs));
    }

    [Fact]
    public async Task A_cancelled_pull_resumes_from_where_it_stopped()
    {
        byte[] model = HubFixture.TinyGguf();
        _f.AddPhi3(model);
        _f.Hub.StallAfterBytes = 40_000;
        using var cancel = new CancellationTokenSource();
        var progress = new Progress(p => { if (p.Done >= 40_000) cancel.Cancel(); });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Pull("phi3", progress: progress, cancellation: cancel.Token));
        var pulled = await Pull("phi3");

        Assert.Equal("bytes=40000-", _f.Hub.Requests.Last(r => r.Host == "cdn").Range);
        Assert.Equal(model, File.ReadAllBytes(pulled.Path));
    }

    [Fact]
    public async Task A_download_that_stops_sending_times_out_and_resumes()
    {
        byte[] model = HubFixture.TinyGguf();
        _f.AddPhi3(model);
        _f.Hub.StallAfterBytes = 20_000;
        var error = await Assert.ThrowsAsync<HubException>(() => Pull("phi3", _f.Options with { ReadTimeout = TimeSpan.FromMilliseconds(300) }));
        Assert.Contains("stalled at 20000 bytes of", error.Message);
        var pulled = await Pull("phi3");
        Assert.Equal("bytes=20000-", _f.Hub.Requests.Last(r => r.Host == "cdn").Range);
        Assert.Equal(model, File.ReadAllBytes(pulled.Path));
    }

    [Fact]
    public async Task Bytes_that_do_not_match_the_sha256_etag_are_refused_and_deleted()
    {
        byte[] model = HubFixture.TinyGguf(), corrupted = (byte[])model.Clone();
        corrupted[^1] ^= 0xFF;
        _f.Hub.AddRepo("someone/tiny").Add("tiny.gguf", model, served: corrupted);

        var error = await Assert.ThrowsAsync<HubException>(() => Pull("someone/tiny:tiny.gguf"));

        Assert.Contains("failed verification", error.Message);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(model)), error.Message);
        string repoFolder = Path.Combine(_f.Cache, "models--someone--tiny");
        Assert.Empty(_f.FilesUnder(Path.Combine(repoFolder, "blobs")));
        Assert.Empty(_f.FilesUnder(Path.Combine(repoFolder, "snapshots")));
    }

    [Fact]
    public async Task A_small_file_is_verified_against_its_git_blob_id()
    {
        _f.Hub.AddRepo("someone/tiny").Add("config.json", "{}"u8.ToArray(), lfs: false, served: "{ }"u8.ToArray());
        var error = await Assert.ThrowsAsync<HubException>(() => Pull("someone/tiny:config.json"));
        Assert.Contains("git blob id", error.Message);
    }

    [Fact]
    public async Task An_etag_that_names_a_path_is_refused_before_anything_is_written()
    {
        _f.Hub.AddRepo("someone/hostile").Add("tiny.gguf", [1, 2, 3], lfs: false, etag: "../../../escaped");
        var error = await Assert.ThrowsAsync<HubException>(() => Pull("someone/hostile:tiny.gguf"));
        Assert.Contains("that is not a plain name", error.Message);
        Assert.Empty(_f.FilesUnder(_f.Home));
    }

    [Fact]
    public async Task A_gated_repository_without_a_token_says_to_set_hf_token_and_stores_nothing()
    {
        _f.AddPhi3(gated: true);
        var error = await Assert.ThrowsAsync<HubException>(() => Pull("phi3"));
        Assert.Equal("'microsoft/Phi-3-mini-4k-instruct-gguf' is a gated repository (401): set HF_TOKEN to a token of an account " +
                     "that has accepted its terms (https://huggingface.co/settings/tokens)", error.Message);
        Assert.Empty(_f.FilesUnder(_f.Cache));
    }

    [Fact]
    public async Task Offline_a_missing_model_is_refused_and_a_cached_one_is_used_without_any_request()
    {
        _f.AddPhi3();
        var offline = _f.Options with { Offline = true };
        var error = await Assert.ThrowsAsync<HubException>(() => Pull("phi3", offline));
        Assert.Contains("is not in the cache", error.Message);
        Assert.Contains("offline mode is on (--offline or HF_HUB_OFFLINE)", error.Message);
        Assert.Empty(_f.Hub.Requests);

        var online = await Pull("phi3");
        int requests = _f.Hub.Requests.Count;
        Assert.Equal(online.Path, (await Pull("phi3", offline)).Path);
        Assert.Equal(requests, _f.Hub.Requests.Count);
    }

    [Fact]
    public async Task An_unreachable_hub_falls_back_to_the_cached_file_as_hf_hub_download_does()
    {
        _f.AddPhi3();
        var pulled = await Pull("phi3");
        var unreachable = _f.Options with { Endpoint = "http://127.0.0.1:1" };
        Assert.Equal(pulled.Path, (await Pull("phi3", unreachable)).Path);
        var error = await Assert.ThrowsAsync<HubException>(() => Pull("phi4", unreachable));
        Assert.StartsWith("cannot reach http://127.0.0.1:1", error.Message);
    }

    [Fact]
    public async Task A_cached_file_serves_when_the_hub_refuses_access_but_not_when_it_says_the_file_is_gone()
    {
        var repo = _f.AddPhi3();
        var pulled = await Pull("phi3");
        _f.AddPhi3(gated: true); // the token the file was pulled with has expired, say
        Assert.Equal(pulled.Path, (await Pull("phi3")).Path);

        _f.Hub.AddRepo(repo.Id).Commit = repo.Commit; // the same commit, now without the file
        var error = await Assert.ThrowsAsync<HubException>(() => Pull("phi3"));
        Assert.Contains("the repository has no such file", error.Message);
    }

    [Fact]
    public async Task Too_little_free_space_is_refused_before_downloading_and_leaves_nothing()
    {
        _f.AddPhi3();
        var error = await Assert.ThrowsAsync<HubException>(() => Pull("phi3", _f.Options with { FreeBytes = _ => 10_000 }));
        Assert.StartsWith("not enough disk space for 'microsoft/Phi-3-mini-4k-instruct-gguf/Phi-3-mini-4k-instruct-q4.gguf': it needs", error.Message);
        Assert.Contains("has 10000 bytes free", error.Message);
        Assert.DoesNotContain(_f.Hub.Requests, r => r.Method == "GET");
        Assert.Empty(_f.FilesUnder(Path.Combine(_f.Cache, "models--microsoft--Phi-3-mini-4k-instruct-gguf", "blobs")));
    }

    [Fact]
    public async Task Download_progress_counts_up_to_the_file_size()
    {
        byte[] model = HubFixture.TinyGguf();
        _f.AddPhi3(model);
        var reports = new List<PullProgress>();
        await Pull("phi3", progress: new Progress(reports.Add));
        Assert.All(reports, r => Assert.Equal((PullStage.Download, "Phi-3-mini-4k-instruct-q4.gguf", (long)model.Length), (r.Stage, r.Item, r.Total)));
        Assert.Equal(0, reports[0].Done);
        Assert.Equal(model.Length, reports[^1].Done);
    }

    [Theory]
    [InlineData("phi5", "unknown model 'phi5': give a file or folder that exists, a Hugging Face repository id")]
    [InlineData("someone/absent", "repository 'someone/absent' not found on")]
    [InlineData("microsoft/Phi-3-mini-4k-instruct-gguf:absent.gguf", "'microsoft/Phi-3-mini-4k-instruct-gguf/absent.gguf' not found: the repository has no such file (404)")]
    public async Task Names_that_cannot_be_pulled_get_one_line_saying_why(string name, string message)
    {
        _f.AddPhi3();
        var error = await Assert.ThrowsAsync<HubException>(() => Pull(name));
        Assert.Contains(message, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    /// <summary>Reports on the calling thread, so the test sees every report before the pull returns.</summary>
    sealed class Progress(Action<PullProgress> report) : IProgress<PullProgress>
    {
        public void Report(PullProgress value) => report(value);
    }
}
