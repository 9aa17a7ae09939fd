using System.Security.Cryptography;
using System.Text.Json;
using PhiSharp.Tests;

namespace PhiSharp.Hub.Tests;

/// <summary>
/// PhiSharp and huggingface_hub share one cache. tools/reference/hub/record_interop.py recorded, against a Hub-shaped
/// server: the cache hf_hub_download wrote for a repository's LFS file and small file (tests/fixtures/hub/python-cache),
/// and scan_cache_dir's and try_to_load_from_cache's view of the cache `phi pull` wrote for the same files
/// (phi-pull-scan.json). Here PhiSharp reads the first and must write the same layout again.
/// </summary>
public sealed class InteropTests : IAsyncLifetime
{
    const string Repo = "phisharp-test/tiny";
    static readonly string PythonCache = Fixtures.Path("hub", "python-cache");
    static readonly string RepoFolder = Path.Combine(PythonCache, "models--phisharp-test--tiny");
    static readonly string Commit = File.ReadAllText(Path.Combine(RepoFolder, "refs", "main"));
    static readonly string[] Files = ["config.json", "weights.gguf"];
    HubFixture _f = null!;

    public async Task InitializeAsync()
    {
        _f = await HubFixture.StartAsync();
        var repo = _f.Hub.AddRepo(Repo);
        repo.Commit = Commit;
        foreach (string file in Files)
            repo.Add(file, File.ReadAllBytes(Path.Combine(RepoFolder, "snapshots", Commit, file)), lfs: file.EndsWith(".gguf"));
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    async Task PullAll(HubOptions options)
    {
        using var puller = new ModelPuller(options);
        foreach (string file in Files) await puller.PullAsync($"{Repo}:{file}");
    }

    [Fact]
    public async Task A_cache_written_by_hf_hub_download_is_found_offline_and_listed()
    {
        var options = _f.Options with { CacheDirectory = PythonCache, Offline = true };
        using var puller = new ModelPuller(options);
        var pulled = await puller.PullAsync($"{Repo}:weights.gguf");

        Assert.Equal(Path.Combine(RepoFolder, "snapshots", Commit, "weights.gguf"), pulled.Path);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(pulled.Path))),
            Path.GetFileName(File.ResolveLinkTarget(pulled.Path, returnFinalTarget: true)!.FullName));
        Assert.Equal([$"{Repo}:weights.gguf"], new ModelStore(options).List().Select(m => m.Name));
    }

    [Fact]
    public async Task Phi_pull_writes_the_files_links_and_refs_hf_hub_download_writes()
    {
        await PullAll(_f.Options);
        Assert.Equal(Layout(RepoFolder), Layout(Path.Combine(_f.Cache, "models--phisharp-test--tiny")));
    }

    [Fact]
    public async Task Scan_cache_dir_saw_phi_pulls_cache_whole_and_try_to_load_from_cache_found_each_file()
    {
        await PullAll(_f.Options);
        var view = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("hub", "phi-pull-scan.json"))).RootElement;

        Assert.Empty(view.GetProperty("warnings").EnumerateArray());
        Assert.Equal(0, view.GetProperty("incomplete_files").GetInt32());
        var repo = Assert.Single(view.GetProperty("repos").EnumerateArray());
        Assert.Equal((Repo, "model"), (repo.GetProperty("repo_id").GetString(), repo.GetProperty("repo_type").GetString()));
        Assert.Equal(["main"], repo.GetProperty("refs").EnumerateArray().Select(r => r.GetString()));
        var revision = Assert.Single(repo.GetProperty("revisions").EnumerateArray());
        Assert.Equal(Commit, revision.GetProperty("commit_hash").GetString());

        // What PhiSharp writes today for the same pull is what scan_cache_dir was shown.
        string snapshot = Path.Combine(_f.Cache, "models--phisharp-test--tiny", "snapshots", Commit);
        Assert.Equal(Files.Select(f => (f, new FileInfo(Path.Combine(snapshot, f)).LinkTarget is { } t ? Path.GetFileName(t) : null,
                File.ReadAllBytes(Path.Combine(snapshot, f)).LongLength)),
            revision.GetProperty("files").EnumerateArray().Select(f => (f.GetProperty("file_name").GetString()!,
                (string?)f.GetProperty("blob").GetString(), f.GetProperty("size_on_disk").GetInt64())));
        foreach (string file in Files)
            Assert.Equal(Path.GetRelativePath(_f.Cache, Path.Combine(snapshot, file)),
                view.GetProperty("try_to_load_from_cache").GetProperty(file).GetString());
    }

    /// <summary>Every entry under a repository folder: a link and its target, or a file and its content's hash.</summary>
    static string[] Layout(string folder) =>
        Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories)
            .Where(p => !Directory.Exists(p) || new FileInfo(p).LinkTarget is not null)
            .Select(p => Path.GetRelativePath(folder, p) + (new FileInfo(p).LinkTarget is { } target
                ? " -> " + target
                : " = " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(p)))))
            .Order(StringComparer.Ordinal).ToArray();
}
