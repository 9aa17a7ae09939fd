using System.Diagnostics;
using System.Text.Json;

namespace PhiSharp.Hub.Tests;

/// <summary>`phi pull`, `phi list`, `phi rm` and `--model NAME` as processes, pointed at the fake Hub by HF_ENDPOINT and at
/// an empty cache by HF_HOME, as a user would.</summary>
public sealed class CommandLineTests : IAsyncLifetime
{
    HubFixture _f = null!;

    public async Task InitializeAsync()
    {
        _f = await HubFixture.StartAsync();
        _f.AddPhi3();
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    ProcessStartInfo Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in _f.Environment) start.Environment[name] = value;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "phi.dll"));
        foreach (string a in args) start.ArgumentList.Add(a);
        return start;
    }

    (int Exit, string Out, string Err) Phi(params string[] args)
    {
        using var process = Process.Start(Start(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("phi " + string.Join(' ', args));
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Pull_list_and_rm_work_on_the_hf_cache()
    {
        var (exit, output, error) = Phi("pull", "phi3", "--json");
        Assert.True(exit == 0, error);
        var pulled = JsonDocument.Parse(output).RootElement;
        string path = pulled.GetProperty("path").GetString()!;
        Assert.StartsWith(Path.Combine(_f.Cache, "models--microsoft--Phi-3-mini-4k-instruct-gguf", "snapshots"), path);
        Assert.Contains("downloading Phi-3-mini-4k-instruct-q4.gguf:", error); // plain progress lines on stderr
        Assert.Contains("(100%)", error);

        (exit, output, error) = Phi("list", "--json");
        Assert.True(exit == 0, error);
        var listed = Assert.Single(JsonDocument.Parse(output).RootElement.EnumerateArray());
        Assert.Equal(("phi3", "gguf", path), (listed.GetProperty("name").GetString(), listed.GetProperty("type").GetString(), listed.GetProperty("path").GetString()));

        (exit, output, error) = Phi("rm", "phi3");
        Assert.True(exit == 0, error);
        Assert.StartsWith("removed phi3: 1 file(s)", output);
        // The repository is gone; the cache stays tagged, and the blob's lock file stays, as huggingface_hub leaves them
        // (deleting a lock file another process may be waiting on would let two holders in).
        Assert.Equal(["CACHEDIR.TAG"], _f.FilesUnder(_f.Cache).Where(f => !f.StartsWith(".locks")));
    }

    [Fact]
    public async Task A_pull_killed_mid_download_is_resumed_by_the_next_one()
    {
        var model = _f.Hub.Repos["microsoft/Phi-3-mini-4k-instruct-gguf"].Files["Phi-3-mini-4k-instruct-q4.gguf"];
        string incomplete = Path.Combine(_f.Cache, "models--microsoft--Phi-3-mini-4k-instruct-gguf", "blobs", model.Etag + ".incomplete");
        _f.Hub.StallAfterBytes = 40_000;
        using (var process = Process.Start(Start("pull", "phi3"))!)
        {
            var clock = Stopwatch.StartNew();
            while (!(File.Exists(incomplete) && new FileInfo(incomplete).Length == 40_000))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited, "the download did not start");
                await Task.Delay(50);
            }
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var (exit, output, error) = Phi("pull", "phi3", "--json");
        Assert.True(exit == 0, error);
        Assert.Equal("bytes=40000-", _f.Hub.Requests.Last(r => r.Host == "cdn").Range);
        Assert.Equal(model.Content, File.ReadAllBytes(JsonDocument.Parse(output).RootElement.GetProperty("path").GetString()!));
        Assert.False(File.Exists(incomplete));
    }

    [Fact]
    public void A_model_name_is_pulled_on_first_use_and_refused_offline_when_missing()
    {
        var (exit, _, error) = Phi("tokenize", "--model", "phi3", "--offline", "hello");
        Assert.Equal(1, exit);
        Assert.Equal("error: 'microsoft/Phi-3-mini-4k-instruct-gguf/Phi-3-mini-4k-instruct-q4.gguf' is not in the cache " +
                     $"({_f.Cache}) and offline mode is on (--offline or HF_HUB_OFFLINE)", error.Trim());

        (exit, var output, error) = Phi("tokenize", "--model", "phi3", "hello");
        Assert.True(exit == 0, error);
        Assert.StartsWith("[", output);

        (exit, output, error) = Phi("tokenize", "--model", "phi3", "--offline", "hello");
        Assert.True(exit == 0, error);
    }

    [Fact]
    public void Without_a_model_on_a_machine_with_none_the_command_says_how_to_get_one()
    {
        var (exit, _, error) = Phi("info");
        Assert.Equal(1, exit);
        Assert.StartsWith("error: no model given and none downloaded yet: pass --model phi3", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void A_first_try_without_any_option_also_says_how_to_get_a_model()
    {
        var (exit, _, error) = Phi("run");
        Assert.Equal(1, exit);
        Assert.Equal(["error: Give exactly one of --prompt or --ids.", "error: no model given and none downloaded yet: pass --model phi3 " +
            "(downloads Phi-3-mini, 2.4 GB, on first use), --model with a GGUF file or a Hugging Face folder, or run `phi pull phi3` " +
            "first (more names: docs/MODELS.md)"], error.Trim().Split('\n'));

        (exit, _, error) = Phi();
        Assert.Equal(1, exit);
        Assert.Equal(["error: give a command; see phi --help", "no model downloaded yet: `phi pull phi3` gets Phi-3-mini (2.4 GB), " +
            "then `phi chat --model phi3` (names: docs/MODELS.md)"], error.Trim().Split('\n'));

        Assert.Equal(0, Phi("pull", "phi3").Exit);
        Assert.Equal("error: give a command; see phi --help", Phi().Err.Trim()); // a model is there: nothing to add
        Assert.StartsWith("error: no model given: pass --model with one of the downloaded models (phi3", Phi("chat").Err);
    }

    [Fact]
    public void A_gated_repository_without_a_token_is_one_line_and_exit_code_1()
    {
        _f.AddPhi3(gated: true);
        var (exit, output, error) = Phi("pull", "phi3");
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.StartsWith("error: 'microsoft/Phi-3-mini-4k-instruct-gguf' is a gated repository (401): set HF_TOKEN", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Serve_with_model_phi3_pulls_it_and_serves_the_chat_page()
    {
        using var process = Process.Start(Start("serve", "--model", "phi3", "--port", "0", "--threads", "1"))!;
        try
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string? line;
            var started = Task.Run(() =>
            {
                while ((line = process.StandardOutput.ReadLine()) is not null)
                    if (line.StartsWith("phi serve:")) return line;
                return null;
            });
            string? banner = await started.WaitAsync(TimeSpan.FromSeconds(60));
            if (banner is null) Assert.Fail(await stderr); // it exited: stderr says why
            Assert.Contains("'Phi-3-mini-4k-instruct-q4'", banner);
            string address = banner!.Split(" at ")[1].Split(' ')[0];
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            var models = JsonDocument.Parse(await http.GetStringAsync("/v1/models")).RootElement;
            Assert.Equal("Phi-3-mini-4k-instruct-q4", models.GetProperty("data")[0].GetProperty("id").GetString());
            Assert.Contains("<html", await http.GetStringAsync("/"), StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }
}
