using System.Security.Cryptography;

namespace PhiSharp.Hub.Tests;

/// <summary>
/// Two pulls of the same file at once (two `phi pull`s, or phi and a Python tool) take turns on the blob's lock,
/// huggingface_hub's <c>.locks/models--org--name/&lt;etag&gt;.lock</c>, instead of writing one <c>.incomplete</c> file together.
/// </summary>
public sealed class BlobLockTests : IAsyncLifetime
{
    HubFixture _f = null!;
    byte[] _model = null!;
    string _sha = null!;

    public async Task InitializeAsync()
    {
        _f = await HubFixture.StartAsync();
        _model = HubFixture.TinyGguf();
        _f.AddPhi3(_model);
        _sha = Convert.ToHexStringLower(SHA256.HashData(_model));
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    string RepoFolder => Path.Combine(_f.Cache, "models--microsoft--Phi-3-mini-4k-instruct-gguf");

    async Task<PulledModel> Pull()
    {
        using var puller = new ModelPuller(_f.Options);
        return await puller.PullAsync("phi3");
    }

    [Fact]
    public async Task A_pull_waits_while_another_process_holds_the_blobs_lock_then_completes()
    {
        string lockPath = Path.Combine(_f.Cache, ".locks", "models--microsoft--Phi-3-mini-4k-instruct-gguf", _sha + ".lock");
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        Task<PulledModel> pull;
        // The same open huggingface_hub's filelock makes: exclusive (flock on Unix).
        using (new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            pull = Pull();
            await Task.Delay(1500);
            Assert.False(pull.IsCompleted, "the pull went ahead while the lock was held");
            Assert.DoesNotContain(_f.Hub.Requests, r => r.Host == "cdn");
            Assert.Equal([], _f.FilesUnder(Path.Combine(RepoFolder, "blobs")));
        }
        var pulled = await pull.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(_model, File.ReadAllBytes(pulled.Path));
        Assert.True(File.Exists(lockPath)); // left behind, as huggingface_hub leaves its lock files
    }

    [Fact]
    public async Task Two_pulls_at_once_download_the_file_once_and_both_get_it()
    {
        var pulls = await Task.WhenAll(Pull(), Pull(), Pull());

        Assert.All(pulls, p => Assert.Equal(_model, File.ReadAllBytes(p.Path)));
        Assert.Single(_f.Hub.Requests, r => r.Host == "cdn" && r.Method == "GET");
        Assert.Equal([_sha], _f.FilesUnder(Path.Combine(RepoFolder, "blobs")));
    }
}
