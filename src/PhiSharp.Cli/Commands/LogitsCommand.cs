using System.CommandLine;
using System.Text.Json;

namespace PhiSharp.Cli.Commands;

static class LogitsCommand
{
    public static Command Create()
    {
        var ids = new Option<string>("--ids") { Description = "Comma-separated token ids", Required = true };
        var all = new Option<bool>("--all") { Description = "Print every position's logits, not only the last" };
        var command = new Command("logits", "Print the next-token logits of a sequence of ids as JSON {\"logits\": [[...]]}");
        ModelArguments.AddTo(command);
        command.Options.Add(ids);
        command.Options.Add(all);
        command.SetAction(parse => ModelArguments.Guard(() =>
        {
            var tokens = ModelArguments.ParseIds(parse.GetValue(ids)!);
            using var model = ModelArguments.Load(parse);
            bool every = parse.GetValue(all);
            int vocab = model.Network.VocabSize;
            using var session = model.Network.CreateSession(tokens.Length);
            var logits = new float[(every ? tokens.Length : 1) * vocab];
            session.Append(tokens, logits, every);

            using var stdout = Console.OpenStandardOutput();
            using var json = new Utf8JsonWriter(stdout);
            json.WriteStartObject();
            json.WriteStartArray("logits");
            for (int row = 0; row < logits.Length / vocab; row++)
            {
                json.WriteStartArray();
                foreach (float v in logits.AsSpan(row * vocab, vocab)) json.WriteNumberValue(v);
                json.WriteEndArray();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.Flush();
            stdout.WriteByte((byte)'\n');
            return Task.FromResult(0);
        }));
        return command;
    }
}
