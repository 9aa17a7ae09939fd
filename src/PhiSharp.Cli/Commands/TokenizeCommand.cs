using System.CommandLine;
using System.Text.Json;

namespace PhiSharp.Cli.Commands;

static class TokenizeCommand
{
    public static Command Create()
    {
        var special = new Option<bool>("--special") { Description = "Parse special-token text such as <|user|> as special tokens" };
        var text = new Argument<string>("text") { Description = "The text to tokenize" };
        var command = new Command("tokenize", "Print the token ids of a text as a JSON array");
        ModelArguments.AddTo(command);
        command.Options.Add(special);
        command.Arguments.Add(text);
        command.SetAction(parse => ModelArguments.Guard(() =>
        {
            using var model = ModelArguments.Load(parse);
            var ids = model.Tokenizer.Encode(parse.GetValue(text)!, parseSpecial: parse.GetValue(special));
            Console.WriteLine(JsonSerializer.Serialize(ids));
            return Task.FromResult(0);
        }));
        return command;
    }
}
