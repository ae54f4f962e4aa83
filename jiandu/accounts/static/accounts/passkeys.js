// Passkeys (WebAuthn) for the newsroom: an enhancement. Without JavaScript or without WebAuthn
// support the buttons stay hidden and the authenticator-app code works as before.
(function () {
  "use strict";

  function b64urlToBuffer(value) {
    var padded = value.replace(/-/g, "+").replace(/_/g, "/");
    while (padded.length % 4) { padded += "="; }
    var binary = atob(padded);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function bufferToB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken(root) {
    var input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Content-Type": "application/json" },
      body: body === undefined ? "{}" : JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || response.statusText); }
        return data;
      });
    });
  }

  function showError(root, message) {
    var box = root.querySelector("[data-passkey-error]");
    if (box) { box.textContent = message; box.hidden = false; }
  }

  function credentialToJSON(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: bufferToB64url(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: bufferToB64url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = bufferToB64url(response.attestationObject);
      if (response.getTransports) { json.response.transports = response.getTransports(); }
    } else {
      json.response.authenticatorData = bufferToB64url(response.authenticatorData);
      json.response.signature = bufferToB64url(response.signature);
      if (response.userHandle) { json.response.userHandle = bufferToB64url(response.userHandle); }
    }
    return json;
  }

  function decodeDescriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: b64urlToBuffer(d.id) }); });
  }

  function register(root) {
    var token = csrfToken(root);
    var nameInput = root.querySelector("input[name=passkey_name]");
    post(root.dataset.optionsUrl, token).then(function (options) {
      options.challenge = b64urlToBuffer(options.challenge);
      options.user.id = b64urlToBuffer(options.user.id);
      options.excludeCredentials = decodeDescriptors(options.excludeCredentials);
      return navigator.credentials.create({ publicKey: options });
    }).then(function (credential) {
      return post(root.dataset.submitUrl, token, {
        name: nameInput ? nameInput.value : "",
        credential: credentialToJSON(credential),
      });
    }).then(function (data) {
      window.location.assign(data.redirect);
    }).catch(function (error) { showError(root, error.message); });
  }

  function authenticate(root) {
    var token = csrfToken(root);
    post(root.dataset.optionsUrl, token).then(function (options) {
      options.challenge = b64urlToBuffer(options.challenge);
      options.allowCredentials = decodeDescriptors(options.allowCredentials);
      return navigator.credentials.get({ publicKey: options });
    }).then(function (credential) {
      return post(root.dataset.submitUrl, token, { credential: credentialToJSON(credential) });
    }).then(function (data) {
      window.location.assign(data.redirect);
    }).catch(function (error) { showError(root, error.message); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.PublicKeyCredential || !navigator.credentials) { return; }
    document.querySelectorAll("[data-passkey]").forEach(function (root) {
      root.hidden = false;
      var button = root.querySelector("button");
      button.addEventListener("click", function (event) {
        event.preventDefault();
        if (root.dataset.passkey === "register") { register(root); } else { authenticate(root); }
      });
    });
  });
})();
