// The function app's user-assigned managed identity. User-assigned (not system-assigned) so that the role
// assignments exist before the app is created: the Flex Consumption host reads its deployment package with
// this identity on first start.

@description('Name of the managed identity.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the identity.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
