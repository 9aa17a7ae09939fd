using System.CommandLine;
using PhiSharp.Hub;

namespace PhiSharp.Cli.Commands.Models;

/// <summary>`phi rm NAME`: delete a model's files, keeping every blob another snapshot still uses.</summary>
static class RemoveCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "A name as `phi list` shows it: an alias, a repository id or repo:file" };
        var command = new Command("rm", "Remove a downloaded model (blobs other files still use are kept)");
        command.Arguments.Add(name);
        command.SetAction(parse => ModelArguments.Guard(() =>
        {
            var removed = new ModelStore(HubOptions.FromEnvironment()).Remove(ModelName.Parse(parse.GetValue(name)!));
            Console.WriteLine($"removed {parse.GetValue(name)}: {removed.Files.Count} file(s), {Units.Bytes(removed.BytesFreed)} freed");
            return Task.FromResult(0);
        }));
        return command;
    }
}
