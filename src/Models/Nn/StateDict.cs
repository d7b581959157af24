using Interp.Autograd;
using Interp.IO;

namespace Interp.Nn;

/// <summary>
/// A module's parameters by their dotted (PyTorch) names: export, load with shape checks, and safetensors files.
/// </summary>
public static class StateDictIO
{
    extension(Module module)
    {
        /// <summary>Copies of the parameters by name (torch's state_dict()).</summary>
        public Dictionary<string, Tensor> StateDict() =>
            module.NamedParameters().ToDictionary(p => p.Name, p => p.Param.Detach().Clone());

        /// <summary>
        /// Copies named tensors into the parameters in place (converting dtype). Every parameter must be present with
        /// its exact shape; with <paramref name="strict"/> no other names may appear. Errors name the tensor and shapes,
        /// and nothing is copied unless everything matches.
        /// </summary>
        public void LoadStateDict(IReadOnlyDictionary<string, Tensor> named, bool strict = true)
        {
            module.CheckStateDict(named, strict);
            using var _ = GradMode.NoGrad();
            foreach (var (name, p) in module.NamedParameters()) p.Backend.Copy(named[name].To(p.Device), p);
        }

        /// <summary>The checks of <see cref="LoadStateDict"/> without the copy: throws what it would throw.</summary>
        public void CheckStateDict(IReadOnlyDictionary<string, Tensor> named, bool strict = true)
        {
            string model = module.GetType().Name;
            var parameters = module.NamedParameters().ToList();
            foreach (var (name, p) in parameters)
            {
                if (!named.TryGetValue(name, out var t))
                    throw new ArgumentException($"load_state_dict: {model} needs '{name}' {ShapeUtil.Format(p.ShapeArray)}, which is missing");
                if (!ShapeUtil.SameShape(t.ShapeArray, p.ShapeArray))
                    throw new ArgumentException($"load_state_dict: '{name}' of {model} expects shape {ShapeUtil.Format(p.ShapeArray)}, found {ShapeUtil.Format(t.ShapeArray)}");
                if (t.DType == DType.Int32)
                    throw new ArgumentException($"load_state_dict: '{name}' of {model} is a float parameter, found an int32 tensor");
            }
            if (strict)
            {
                var known = parameters.Select(p => p.Name).ToHashSet();
                var extra = named.Keys.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal).ToList();
                if (extra.Count > 0)
                    throw new ArgumentException($"load_state_dict: {model} has no parameter named {string.Join(", ", extra.Select(e => $"'{e}'"))}");
            }
        }

        /// <summary>Writes the parameters to a safetensors file (atomically), with optional metadata.</summary>
        public void SaveSafeTensors(string path, IReadOnlyDictionary<string, string>? metadata = null) =>
            SafeTensorsWriter.Write(path, module.NamedParameters().Select(p => TensorIO.Entry(p.Name, p.Param)), metadata);

        /// <summary>Loads parameters from a safetensors file written by <see cref="SaveSafeTensors"/> or by PyTorch.</summary>
        public void LoadSafeTensors(string path, bool strict = true)
        {
            using var file = SafeTensorsFile.Open(path);
            module.LoadStateDict(TensorIO.ReadAll(file), strict);
        }
    }
}
