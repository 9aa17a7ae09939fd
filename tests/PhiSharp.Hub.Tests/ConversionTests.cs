using PhiSharp.Quantization;

using PhiSharp.Tests;

namespace PhiSharp.Hub.Tests;

/// <summary>A repository with only safetensors (most of Microsoft's Phi repositories) is downloaded as a folder and
/// converted once to GGUF by `phi quantize`'s code, into the converted folder beside the cache.</summary>
public sealed class ConversionTests : IAsyncLifetime
{
    static readonly string Source = Fixtures.Path("transformers", "phi3-mini-4k-f32");
    HubFixture _f = null!;
    FakeRepo _repo = null!;

    public async Task InitializeAsync()
    {
        _f = await HubFixture.StartAsync();
        _repo = _f.Hub.AddRepo("microsoft/Phi-3.5-mini-instruct");
        foreach (string file in Directory.GetFiles(Source))
            _repo.Add(Path.GetFileName(file), File.ReadAllBytes(file), lfs: file.EndsWith(".safetensors"));
        _repo.Add("README.md", "# Phi-3.5"u8.ToArray(), lfs: false);
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task An_alias_of_a_safetensors_repository_is_converted_to_the_q4_k_m_file_phi_quantize_writes()
    {
        var reports = new List<PullProgress>();
        using var puller = new ModelPuller(_f.Options);
        var pulled = await puller.PullAsync("phi3.5", new Progress(reports.Add));

        Assert.True(pulled.Converted);
        Assert.Equal(Path.Combine(_f.Home, "phisharp", "converted", "models--microsoft--Phi-3.5-mini-instruct", _repo.Commit,
            "Phi-3.5-mini-instruct-q4_k_m.gguf"), pulled.Path);
        // phi quantize on the same files in a folder named as the repository (the model's general.name).
        string named = Directory.CreateDirectory(Path.Combine(_f.Home, "expected", "Phi-3.5-mini-instruct")).FullName;
        foreach (string file in Directory.GetFiles(Source)) File.Copy(file, Path.Combine(named, Path.GetFileName(file)));
        string expected = Path.Combine(_f.Home, "expected.gguf");
        GgufQuantizer.Quantize(named, expected, QuantizationScheme.Parse("q4_k_m"), threads: 1);
        Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(pulled.Path));

        // The folder is in the cache as huggingface_hub would have it (the README is not needed, so not fetched).
        string snapshot = Path.Combine(_f.Cache, "models--microsoft--Phi-3.5-mini-instruct", "snapshots", _repo.Commit);
        Assert.Equal(Directory.GetFiles(Source).Select(Path.GetFileName).Order(), _f.FilesUnder(snapshot));
        Assert.Contains(reports, r => r.Stage == PullStage.Convert && r.Done == r.Total && r.Item == "Phi-3.5-mini-instruct-q4_k_m");
    }

    [Fact]
    public async Task The_conversion_is_made_once_and_found_again_offline()
    {
        using var puller = new ModelPuller(_f.Options);
        var first = await puller.PullAsync("phi3.5");
        var written = File.GetLastWriteTimeUtc(first.Path);
        int requests = _f.Hub.Requests.Count;

        using var offline = new ModelPuller(_f.Options with { Offline = true });
        var again = await offline.PullAsync("phi3.5");

        Assert.Equal(first.Path, again.Path);
        Assert.Equal(written, File.GetLastWriteTimeUtc(again.Path));
        Assert.Equal(requests, _f.Hub.Requests.Count);
    }

    [Fact]
    public async Task Another_quantization_tag_is_another_conversion()
    {
        using var puller = new ModelPuller(_f.Options);
        var q8 = await puller.PullAsync("phi3.5:q8_0");
        Assert.EndsWith("Phi-3.5-mini-instruct-q8_0.gguf", q8.Path);
        using var model = LanguageModel.Load(q8.Path);
        Assert.Contains("q8_0", model.Info.TensorTypes.Keys);
    }

    /// <summary>Phi-2 with qk_layernorm (a Phi-1.5-style variant): llama.cpp's phi2 GGUF has no place for its query/key
    /// LayerNorms, so the folder is given to load as it is.</summary>
    [Fact]
    public async Task A_repository_phi_quantize_cannot_convert_is_given_as_the_folder_to_load_as_it_is()
    {
        var phi2 = _f.Hub.AddRepo("someone/phi-2-qk-layernorm");
        foreach (string file in Directory.GetFiles(Fixtures.Path("transformers", "phi2-qk-layernorm")))
            phi2.Add(Path.GetFileName(file), File.ReadAllBytes(file), lfs: file.EndsWith(".safetensors"));
        using var puller = new ModelPuller(_f.Options);

        var pulled = await puller.PullAsync("someone/phi-2-qk-layernorm");
        Assert.False(pulled.Converted);
        Assert.Equal(Path.Combine(_f.Cache, "models--someone--phi-2-qk-layernorm", "snapshots", phi2.Commit), pulled.Path);
        using (var model = LanguageModel.Load(pulled.Path)) Assert.Equal("PhiForCausalLM", model.Info.Architecture);

        var error = await Assert.ThrowsAsync<HubException>(() => puller.PullAsync("someone/phi-2-qk-layernorm:q8_0"));
        Assert.Contains("qk_layernorm cannot be converted", error.Message);
    }

    [Fact]
    public async Task The_phi2_alias_is_converted()
    {
        var repo = _f.Hub.AddRepo("microsoft/phi-2");
        foreach (string file in Directory.GetFiles(Fixtures.Path("transformers", "phi2")))
            repo.Add(Path.GetFileName(file), File.ReadAllBytes(file), lfs: file.EndsWith(".safetensors"));
        using var puller = new ModelPuller(_f.Options);

        var pulled = await puller.PullAsync("phi2:q8_0");   // 160-wide rows: whole Q8_0 blocks, not Q4_K's 256

        Assert.True(pulled.Converted);
        Assert.EndsWith("phi-2-q8_0.gguf", pulled.Path);
        using var model = LanguageModel.Load(pulled.Path);
        Assert.Equal("phi2", model.Info.Architecture);
    }

    /// <summary>Microsoft's Phi-3-small repositories ship cl100k_base.tiktoken and remote code, no tokenizer.json.</summary>
    [Fact]
    public async Task Phi3_small_is_converted_with_the_tokenizer_of_its_tiktoken_file()
    {
        var repo = _f.Hub.AddRepo("microsoft/Phi-3-small-8k-instruct");
        string source = PhiSharp.Tests.Models.Phi3Small.TinyPhi3SmallFolder.Write(Path.Combine(_f.Home, "source"));
        foreach (string file in Directory.GetFiles(source))
            repo.Add(Path.GetFileName(file), File.ReadAllBytes(file), lfs: !file.EndsWith(".json"));
        repo.Add("tokenization_phi3_small.py", "# the remote tokenizer (not needed)"u8.ToArray(), lfs: false);
        using var puller = new ModelPuller(_f.Options);

        var pulled = await puller.PullAsync("phi3-small:q8_0");   // 64-wide rows: whole Q8_0 blocks, not Q4_K's 256

        Assert.True(pulled.Converted);
        Assert.EndsWith("Phi-3-small-8k-instruct-q8_0.gguf", pulled.Path);
        using var model = LanguageModel.Load(pulled.Path);
        Assert.Equal("phi3small", model.Info.Architecture);
        Assert.Equal([100262, 9906, 100266], model.Tokenizer.Encode("<|user|>Hello<|end|>", parseSpecial: true));
    }

    [Fact]
    public async Task A_folder_that_does_not_fit_is_refused_before_any_file_is_downloaded()
    {
        using var puller = new ModelPuller(_f.Options with { FreeBytes = _ => 1_000_000 });
        var error = await Assert.ThrowsAsync<HubException>(() => puller.PullAsync("phi3.5"));
        Assert.StartsWith("not enough disk space for 'microsoft/Phi-3.5-mini-instruct': its files need 2.8 MiB", error.Message);
        Assert.DoesNotContain(_f.Hub.Requests, r => r.Path.Contains("/resolve/"));
    }

    sealed class Progress(Action<PullProgress> report) : IProgress<PullProgress>
    {
        public void Report(PullProgress value) => report(value);
    }
}
