// Built-in checks for the dependencies services really have. Each factory takes the application's
// own client, so that a probe never opens a connection nor holds a credential.
export {}
