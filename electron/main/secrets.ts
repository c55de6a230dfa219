import { safeStorage } from 'electron';
import { join } from 'node:path';
import { EncryptedFileSecretStore } from '../services/secrets/encrypted-file-store.js';
import { MemorySecretStore, type SecretStore } from '../services/secrets/secret-store.js';

/** The file (in the data directory) that holds the encrypted secrets. */
export const secretsFileName = 'secrets.bin';

/**
 * Why Electron's safeStorage cannot protect secrets on this machine, or undefined when it can. On Linux
 * without a keyring safeStorage falls back to `basic_text`, a hard-coded key: that is not protection.
 * Must run after the app is ready.
 */
export function safeStorageProblem(): string | undefined {
  if (!safeStorage.isEncryptionAvailable()) {
    return 'No OS keychain is available to encrypt secrets, so passphrases and passwords are kept only until the workbench quits.';
  }
  if (process.platform === 'linux') {
    const backend = safeStorage.getSelectedStorageBackend();
    if (backend === 'basic_text' || backend === 'unknown') {
      return (
        `No keyring (GNOME Keyring or KWallet) is running (safeStorage backend: ${backend}), ` +
        'so passphrases and passwords are kept only until the workbench quits.'
      );
    }
  }
  return undefined;
}

/** The secret store for the Electron app: keychain-encrypted on disk when possible, else memory only. */
export function createSecretStore(dataDir: string): SecretStore {
  const problem = safeStorageProblem();
  if (problem) return new MemorySecretStore(problem);
  return new EncryptedFileSecretStore(join(dataDir, secretsFileName), {
    encrypt: (plaintext) => safeStorage.encryptString(plaintext),
    decrypt: (ciphertext) => safeStorage.decryptString(ciphertext),
  });
}
