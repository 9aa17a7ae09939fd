using System.CommandLine;
using System.Text.Json;
using PhiSharp.Hub;

namespace PhiSharp.Cli.Commands.Models;

/// <summary>`phi pull NAME`: download a model into the Hugging Face cache (converting safetensors to GGUF once).</summary>
static class PullCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name")
        {
            Description = "An alias (phi3, phi3:128k, phi3.5, phi3-medium, phi3-small, phi4-mini, phi4, phi2; add :q8_0 etc. for another " +
                          "quantization), a repository id (microsoft/Phi-3-mini-4k-instruct-gguf) or repo:file.gguf",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: name, path, repo, commit, converted (progress as plain lines on stderr)" };
        var offline = new Option<bool>("--offline") { Description = "Use only the cache (as HF_HUB_OFFLINE=1): no network" };
        var command = new Command("pull", "Download a model from the Hugging Face Hub into its cache (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN)");
        command.Arguments.Add(name);
        command.Options.Add(json);
        command.Options.Add(offline);
        command.SetAction((parse, cancel) => ModelArguments.Guard(async () =>
        {
            var options = HubOptions.FromEnvironment();
            if (parse.GetValue(offline)) options = options with { Offline = true };
            var model = ModelName.Parse(parse.GetValue(name)!);
            using var puller = new ModelPuller(options);
            var pulled = await ProgressDisplay.PullAsync(parse.GetValue(json), progress => puller.PullAsync(model, progress, cancel));
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    name = parse.GetValue(name),
                    path = pulled.Path,
                    repo = pulled.RepoId,
                    commit = pulled.Commit,
                    converted = pulled.Converted,
                }));
            else Console.WriteLine($"{parse.GetValue(name)}: {pulled.Path}");
            return 0;
        }));
        return command;
    }
}
