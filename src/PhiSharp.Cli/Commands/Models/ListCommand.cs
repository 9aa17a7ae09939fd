using System.CommandLine;
using System.Text.Json;
using PhiSharp.Hub;
using Spectre.Console;

namespace PhiSharp.Cli.Commands.Models;

/// <summary>`phi list`: the models in the Hugging Face cache (whoever downloaded them) and PhiSharp's converted GGUFs.</summary>
static class ListCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array of {name, type, bytes, path}" };
        var command = new Command("list", "List downloaded models: name, type, size, path");
        command.Options.Add(json);
        command.SetAction(parse => ModelArguments.Guard(() =>
        {
            var options = HubOptions.FromEnvironment();
            var models = new ModelStore(options).List();
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(models.Select(m => new { name = m.Name, type = m.Kind, bytes = m.Bytes, path = m.Path })));
            else if (models.Count == 0)
                Console.WriteLine($"no models in {options.CacheDirectory}; `phi pull phi3` downloads one");
            else
            {
                var table = new Table().AddColumn("name").AddColumn("type").AddColumn(new TableColumn("size").RightAligned()).AddColumn("path");
                foreach (var m in models) table.AddRow(Markup.Escape(m.Name), m.Kind, Units.Bytes(m.Bytes), Markup.Escape(m.Path));
                AnsiConsole.Write(table);
            }
            return Task.FromResult(0);
        }));
        return command;
    }
}
