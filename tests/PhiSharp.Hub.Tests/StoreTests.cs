using PhiSharp.Tests;

namespace PhiSharp.Hub.Tests;

/// <summary>`phi list` and `phi rm` over the cache: names that find the models again, and blobs deleted only when no
/// snapshot still points to them.</summary>
public sealed class StoreTests : IAsyncLifetime
{
    HubFixture _f = null!;

    public async Task InitializeAsync() => _f = await HubFixture.StartAsync();
    public async Task DisposeAsync() => await _f.DisposeAsync();

    async Task<PulledModel> Pull(string name)
    {
        using var puller = new ModelPuller(_f.Options);
        return await puller.PullAsync(name);
    }

    [Fact]
    public async Task List_names_each_model_as_it_can_be_asked_for_again()
    {
        byte[] model = HubFixture.TinyGguf();
        _f.AddPhi3(model);
        _f.Hub.AddRepo("someone/tiny").Add("tiny.gguf", model);
        var phi3 = await Pull("phi3");
        var tiny = await Pull("someone/tiny:tiny.gguf");

        var listed = new ModelStore(_f.Options).List();

        Assert.Equal([new StoredModel("phi3", "gguf", model.Length, phi3.Path), new StoredModel("someone/tiny:tiny.gguf", "gguf", model.Length, tiny.Path)],
            listed);
    }

    [Fact]
    public async Task Removing_a_file_keeps_a_blob_another_file_still_points_to()
    {
        byte[] model = HubFixture.TinyGguf();
        _f.Hub.AddRepo("someone/tiny").Add("a.gguf", model).Add("b.gguf", model);
        var a = await Pull("someone/tiny:a.gguf");
        var b = await Pull("someone/tiny:b.gguf");
        string repoFolder = Path.Combine(_f.Cache, "models--someone--tiny");
        var store = new ModelStore(_f.Options);

        var removed = store.Remove(ModelName.Parse("someone/tiny:a.gguf"));
        Assert.Equal([a.Path], removed.Files);
        Assert.Equal(0, removed.BytesFreed);
        Assert.Equal(model, File.ReadAllBytes(b.Path));

        removed = store.Remove(ModelName.Parse("someone/tiny:b.gguf"));
        Assert.Equal(model.Length, removed.BytesFreed);
        Assert.False(Directory.Exists(repoFolder)); // no snapshot left: the repository goes, refs and all
    }

    [Fact]
    public async Task Removing_one_repository_leaves_the_others_whole()
    {
        _f.AddPhi3();
        _f.Hub.AddRepo("someone/tiny").Add("tiny.gguf", HubFixture.TinyGguf());
        await Pull("phi3");
        await Pull("phi3:f16");
        var tiny = await Pull("someone/tiny:tiny.gguf");
        var before = _f.FilesUnder(Path.Combine(_f.Cache, "models--someone--tiny"));

        var removed = new ModelStore(_f.Options).Remove(ModelName.Parse("phi3"));

        Assert.Single(removed.Files);
        Assert.Equal(["phi3:f16", "someone/tiny:tiny.gguf"], new ModelStore(_f.Options).List().Select(m => m.Name));
        Assert.Equal(before, _f.FilesUnder(Path.Combine(_f.Cache, "models--someone--tiny")));
        Assert.True(File.Exists(tiny.Path));
    }

    [Fact]
    public async Task A_converted_model_is_listed_and_removed_with_the_safetensors_it_was_made_from()
    {
        var repo = _f.Hub.AddRepo("microsoft/Phi-3.5-mini-instruct");
        foreach (string file in Directory.GetFiles(Fixtures.Path("transformers", "phi3-mini-4k-f32")))
            repo.Add(Path.GetFileName(file), File.ReadAllBytes(file), lfs: file.EndsWith(".safetensors"));
        var pulled = await Pull("phi3.5");
        var store = new ModelStore(_f.Options);

        string snapshot = Path.Combine(_f.Cache, "models--microsoft--Phi-3.5-mini-instruct", "snapshots", repo.Commit);
        Assert.Equal([("phi3.5", "converted", pulled.Path), ("microsoft/Phi-3.5-mini-instruct", "safetensors", snapshot)],
            store.List().Select(m => (m.Name, m.Kind, m.Path)).OrderBy(m => m.Kind));

        store.Remove(ModelName.Parse("phi3.5"));
        Assert.Empty(store.List());
        // The repository is gone; the cache stays tagged, and the lock files stay, as huggingface_hub leaves them.
        Assert.Equal(["CACHEDIR.TAG"], _f.FilesUnder(_f.Cache).Where(f => !f.StartsWith(".locks")));
    }

    [Fact]
    public void Removing_what_is_not_there_says_so()
    {
        var error = Assert.Throws<HubException>(() => new ModelStore(_f.Options).Remove(ModelName.Parse("phi4")));
        Assert.StartsWith("'phi4' is not in the store", error.Message);
    }
}
