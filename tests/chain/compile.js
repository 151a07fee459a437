// Compiles TestUSDC.sol into TestUSDC.json (ABI and creation bytecode) with solc-js;
// see README.md. Run with solc@0.8.37 installed beside it.
const fs = require("fs");
const solc = require("solc");

const settings = {
  evmVersion: "cancun",
  optimizer: { enabled: true, runs: 200 },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
};
const input = {
  language: "Solidity",
  sources: { "TestUSDC.sol": { content: fs.readFileSync("TestUSDC.sol", "utf8") } },
  settings,
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length) process.exit(1);

const contract = output.contracts["TestUSDC.sol"].TestUSDC;
const artifact = {
  compiler: "solc-js " + solc.version(),
  evmVersion: settings.evmVersion,
  optimizer: settings.optimizer,
  abi: contract.abi,
  bytecode: "0x" + contract.evm.bytecode.object,
};
fs.writeFileSync("TestUSDC.json", JSON.stringify(artifact, null, 2) + "\n");
console.log("compiled with " + solc.version());
