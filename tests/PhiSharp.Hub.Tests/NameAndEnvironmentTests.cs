namespace PhiSharp.Hub.Tests;

/// <summary>Model names, and the environment variables read as huggingface_hub's constants.py reads them.</summary>
public sealed class NameAndEnvironmentTests
{
    [Theory]
    [InlineData("phi3", "Alias phi3 q4_k_m")]
    [InlineData("phi3:q8_0", "Alias phi3 q8_0")]
    [InlineData("PHI3:Q8_0", "Alias phi3 q8_0")]
    [InlineData("phi3:128k", "Alias phi3:128k q4_k_m")]
    [InlineData("phi3:128k-q8_0", "Alias phi3:128k q8_0")]
    [InlineData("phi4-mini:f16", "Alias phi4-mini f16")]
    [InlineData("microsoft/Phi-3-mini-4k-instruct-gguf", "Repository microsoft/Phi-3-mini-4k-instruct-gguf q4_k_m")]
    [InlineData("microsoft/Phi-3-mini-4k-instruct-gguf:q4_0", "Repository microsoft/Phi-3-mini-4k-instruct-gguf q4_0")]
    [InlineData("microsoft/Phi-3-mini-4k-instruct-gguf:Phi-3-mini-4k-instruct-fp16.gguf", "File microsoft/Phi-3-mini-4k-instruct-gguf Phi-3-mini-4k-instruct-fp16.gguf")]
    public void Names_parse_into_alias_repository_or_file(string text, string expected)
    {
        string parsed = ModelName.Parse(text) switch
        {
            ModelName.Alias a => $"Alias {a.Entry.Name} {a.Quantization}",
            ModelName.Repository r => $"Repository {r.RepoId} {r.Quantization}",
            ModelName.RepositoryFile f => $"File {f.RepoId} {f.FileName}",
            _ => "",
        };
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [InlineData("phi3:256k")]
    [InlineData("a/b/c")]
    [InlineData("org/repo:../../etc/passwd")]
    [InlineData("org/repo:/absolute.gguf")]
    public void Names_that_are_neither_are_refused(string text) => Assert.Throws<HubException>(() => ModelName.Parse(text));

    [Fact]
    public void Every_alias_names_a_microsoft_repository_and_gguf_files_for_quantizations_phi_knows()
    {
        foreach (var alias in ModelAliases.All)
        {
            Assert.StartsWith("microsoft/", alias.SourceRepo);
            Assert.All(alias.GgufFiles?.Keys ?? [], q => Assert.Contains(q, ModelName.Quantizations));
            Assert.All(alias.GgufFiles?.Values ?? [], file => Assert.True(GgufChooser.Matches(file, alias.GgufFiles!.First(f => f.Value == file).Key)));
        }
    }

    [Fact]
    public void Defaults_follow_hf_home_and_the_user_cache()
    {
        var options = HubOptions.FromEnvironment(_ => null);
        string home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface");
        Assert.Equal(("https://huggingface.co", Path.Combine(home, "hub"), Path.Combine(home, "phisharp", "converted"), false),
            (options.Endpoint, options.CacheDirectory, options.ConvertedDirectory, options.Offline));

        Assert.Equal(Path.Combine("/x", "huggingface", "hub"), HubOptions.FromEnvironment(name => name == "XDG_CACHE_HOME" ? "/x" : null).CacheDirectory);
    }

    [Fact]
    public void Variables_set_the_endpoint_cache_token_and_offline_mode()
    {
        var env = new Dictionary<string, string>
        {
            ["HF_HOME"] = "/data/hf", ["HF_HUB_CACHE"] = "/fast/hub", ["HF_ENDPOINT"] = "https://mirror.example/", ["HF_HUB_OFFLINE"] = "yes",
            ["HF_TOKEN"] = "hf_abc", ["HF_HUB_ETAG_TIMEOUT"] = "3", ["HF_HUB_DOWNLOAD_TIMEOUT"] = "60",
        };
        var options = HubOptions.FromEnvironment(name => env.GetValueOrDefault(name));
        Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(60)), (options.MetadataTimeout, options.ReadTimeout));
        Assert.Equal(("https://mirror.example", "/fast/hub", Path.Combine("/data/hf", "phisharp", "converted"), true, "hf_abc"),
            (options.Endpoint, options.CacheDirectory, options.ConvertedDirectory, options.Offline, options.Token));
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("ON", true)]
    [InlineData("true", true)]
    [InlineData("0", false)]
    [InlineData("no", false)]
    public void Offline_is_true_for_the_values_huggingface_hub_counts_as_true(string value, bool offline)
    {
        var env = new Dictionary<string, string> { ["HF_HOME"] = "/h", ["HF_HUB_OFFLINE"] = value };
        Assert.Equal(offline, HubOptions.FromEnvironment(name => env.GetValueOrDefault(name)).Offline);
    }

    [Fact]
    public void Without_hf_token_the_token_file_of_hf_home_is_read()
    {
        string home = Directory.CreateTempSubdirectory("phisharp-hub-token-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(home, "token"), "hf_from_file\n");
            Assert.Equal("hf_from_file", HubOptions.FromEnvironment(name => name == "HF_HOME" ? home : null).Token);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
