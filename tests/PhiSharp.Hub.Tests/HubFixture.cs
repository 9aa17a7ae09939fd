using PhiSharp.Tests.Models;

namespace PhiSharp.Hub.Tests;

/// <summary>A fake Hub and an empty HF_HOME for one test; <see cref="Options"/> point PhiSharp at both.</summary>
public sealed class HubFixture : IAsyncDisposable
{
    public string Home { get; } = Directory.CreateTempSubdirectory("phisharp-hub-").FullName;
    public FakeHub Hub { get; private set; } = null!;
    public string Cache => Path.Combine(Home, "hub");
    public HubOptions Options => new()
    {
        Endpoint = Hub.Endpoint.ToString().TrimEnd('/'),
        CacheDirectory = Cache,
        ConvertedDirectory = Path.Combine(Home, "phisharp", "converted"),
    };

    /// <summary>The environment a `phi` process needs to use this Hub and this cache.</summary>
    public Dictionary<string, string> Environment => new()
    {
        ["HF_HOME"] = Home,
        ["HF_ENDPOINT"] = Hub.Endpoint.ToString(),
        ["HF_HUB_CACHE"] = "",
        ["HF_HUB_OFFLINE"] = "",
        ["HF_TOKEN"] = "",
    };

    public static async Task<HubFixture> StartAsync()
    {
        var fixture = new HubFixture();
        fixture.Hub = await FakeHub.StartAsync();
        return fixture;
    }

    /// <summary>The tiny random Phi-3 GGUF's bytes (a loadable model, ~100 KB).</summary>
    public static byte[] TinyGguf(int contextLength = 256)
    {
        string path = Path.Combine(Path.GetTempPath(), $"phisharp-hub-tiny-{Guid.NewGuid():N}.gguf");
        try
        {
            TinyPhi3Gguf.Write(path, o => o.ContextLength = (uint)contextLength);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Microsoft's Phi-3-mini GGUF repository as the phi3 alias expects it, holding the tiny model.</summary>
    public FakeRepo AddPhi3(byte[]? q4 = null, bool gated = false) =>
        Hub.AddRepo("microsoft/Phi-3-mini-4k-instruct-gguf", gated)
            .Add("Phi-3-mini-4k-instruct-q4.gguf", q4 ?? TinyGguf())
            .Add("Phi-3-mini-4k-instruct-fp16.gguf", TinyGguf(512))
            .Add("README.md", "# Phi-3"u8.ToArray(), lfs: false);

    public string[] FilesUnder(string folder) => Directory.Exists(folder)
        ? Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order().ToArray()
        : [];

    public async ValueTask DisposeAsync()
    {
        await Hub.DisposeAsync();
        Directory.Delete(Home, recursive: true);
    }
}
