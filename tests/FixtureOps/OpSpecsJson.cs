using System.Text;
using System.Text.Json;
using Interp.Testing;
using Interp.Tests.Autograd.Ops;

namespace Interp.Tests.FixtureOps;

/// <summary>
/// The op table's PyTorch fixtures as JSON, one case a line: tests/fixtures/op_specs.json, which make_op_fixtures.py
/// reads. Each case names its op, the PyTorch function, the dtype, each input (name, keyword or positional, leaf
/// shape, domain, views) and the keyword arguments.
/// </summary>
public static class OpSpecsJson
{
    public static string Render()
    {
        var cases = OpTable.Specs.Values.Where(s => s.Torch is not null)
            .SelectMany(s => s.Fixtures.Select(f => Case(s, f)));
        return "{\"cases\": [\n" + string.Join(",\n", cases) + "\n]}\n";
    }

    static string Case(OpSpec spec, Fixture fixture)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("name", fixture.Name);
            w.WriteString("op", spec.Name);
            w.WriteString("torch", spec.Torch);
            w.WriteBoolean("list", spec.TorchTakesAList);
            w.WriteString("dtype", fixture.DType == DType.Float32 ? "F32" : "F64");
            w.WriteStartArray("inputs");
            for (int i = 0; i < spec.Inputs.Length; i++)
                if (fixture.Call.Leaves[i] is { } leaf) WriteInput(w, spec.Inputs[i], leaf);
            w.WriteEndArray();
            w.WriteStartObject("kwargs");
            foreach (var (key, value) in fixture.Call.Args.Values)
            {
                w.WritePropertyName(key);
                JsonSerializer.Serialize(w, value, value.GetType());
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    static void WriteInput(Utf8JsonWriter w, Input input, Leaf leaf)
    {
        var domain = leaf.Domain ?? input.Domain;
        w.WriteStartObject();
        w.WriteString("name", input.Name);
        w.WriteBoolean("keyword", input.Keyword);
        WriteInts(w, "shape", leaf.Shape);
        w.WriteStartObject("domain");
        w.WriteString("kind", leaf.Given is null ? domain.JsonKind() : "values");
        if (leaf.Given is null && domain.JsonKind() == "indices") w.WriteNumber("below", domain.Below());
        if (leaf.Given is { } values) WriteInts(w, "values", values);
        w.WriteEndObject();
        w.WriteStartArray("views");
        foreach (var view in leaf.Views)
        {
            w.WriteStartObject();
            w.WriteString("kind", view.Kind);
            WriteInts(w, "args", view.Args);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static void WriteInts(Utf8JsonWriter w, string name, int[] values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }
}
